"""A darknet training set as darknet reads it: the ``.data`` file, image lists, label files, names.

``cfggen.dataset.files`` reads each file exactly as darknet's C code does (reference §13), and says
where darknet silently reads something other than what the file seems to say. The checks of
``cfggen validate --data`` and ``cfggen anchors`` are built on it.
"""
from cfggen.dataset.files import (DataFile, LabelFile, ListEntry, LineIssue, label_path, read_data, read_labels,
                                  read_label_set, read_list, read_names)

__all__ = ["DataFile", "LabelFile", "ListEntry", "LineIssue", "label_path", "read_data", "read_labels",
           "read_label_set", "read_list", "read_names"]
