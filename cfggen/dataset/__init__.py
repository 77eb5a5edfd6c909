"""A darknet training set as darknet reads it: the ``.data`` file, image lists, label files, names.

``cfggen.dataset.files`` reads each file exactly as darknet's C code does (reference §13), and says
where darknet silently reads something other than what the file seems to say; ``boxes`` judges each
box as darknet's loader does; ``checks`` are the findings of ``cfggen validate --data``.
"""
from cfggen.dataset.files import (DataFile, LabelBatch, LabelFile, ListEntry, LineIssue, label_path, read_data,
                                  read_label_batch, read_label_set, read_labels, read_list, read_names)

__all__ = ["DataFile", "LabelBatch", "LabelFile", "ListEntry", "LineIssue", "label_path", "read_data",
           "read_label_batch", "read_label_set", "read_labels", "read_list", "read_names"]
