"""The dataset rules: what ``cfggen validate --data`` finds in the files a ``.data`` file names.

They have no ``check``: ``cfggen.dataset.checks`` reads the dataset and makes their findings; here
they are only catalogue entries (code, slug, default severity, summary, documentation), so that
``cfggen rules``, ``--select``/``--ignore``, configured severities and SARIF rule descriptors treat
them like every other rule. Twenty rules without code are one table rather than twenty modules: each
module costs ``validate``'s start-up a file-system lookup (measured: ~2.5 ms for twenty, ~0.1 ms here).
Each entry becomes a module object with the attributes of a rule module (``CODE``, ``NAME``,
``SEVERITY``, ``SCOPE``, ``SUMMARY``, ``check``, the docstring).
"""
from __future__ import annotations

from types import ModuleType

# (code, slug, default severity, summary, documentation)
_TABLE: tuple[tuple[str, str, str, str, str], ...] = (
    ("DN441", "data-file-line", "warning", "a .data line darknet drops, ignores or reads differently",
     """data-file-line: a .data line darknet drops, ignores or reads differently.

*Why*: darknet reads the `.data` file like a cfg without sections: every blank is deleted anywhere in
the line, the first `=` splits key and value, and the *first* of two lines with the same key wins.
`key=` with nothing after it is dropped with "Config file error line N, could parse: key"; a line
without `=` is a key without a value, so darknet uses that key's default; `names = my names.txt`
opens `mynames.txt`, and a trailing `# comment` becomes part of the path.

*Severity*: a warning: darknet goes on, with another value than the line seems to give (a
missing file it then names is reported on its own, as an error).

**FAIL**
    train = data/train.txt
    train = data/train2.txt     # ignored: the first train= wins
    names =                     # dropped
**PASS**
    train = data/train.txt
    names = data/obj.names

*Fix safety*: not fixable automatically.
"""),
    ("DN442", "dataset-file-missing", "error", "a list or names file named by the .data file does not exist",
     """dataset-file-missing: a list or names file named by the .data file does not exist.

*Why*: darknet opens the `train=` list (default `data/train.txt`), the `valid=` list (with `-map`;
default: the train list) and the `names=` file (with `-map`, `map`, `test`; default
`data/names.list`) relative to the folder it runs in, and exits 1 with "Couldn't open file: <path>"
when one is missing: `train` after parsing the cfg, `-map` before training starts.

*Severity*: an error: darknet exits (for `names=`: in every command that reads it, `train -map`,
`map`, `test`).

**FAIL**
    train = data/tarin.txt      # no such file
**PASS**
    train = data/train.txt

*Fix safety*: not fixable automatically.
"""),
    ("DN443", "list-blank-entry", "warning", "blank lines in an image list are entries darknet keeps",
     """list-blank-entry: blank lines in an image list are entries darknet keeps.

*Why*: darknet keeps a blank line of an image list as an empty entry: it counts in "read labels from
N images" and in the image count of `-mAP_epochs`, training redraws it with " Very small path to the
image: " each time it is drawn, and `map`/`valid`/`calc_anchors` process it as an image (a
"Label file name is too short" message and an empty line in `bad.list`). All blank lines of a list
are one finding.

*Severity*: a warning: training goes on, but the list is not what it looks like.

**FAIL**
    data/obj/1.jpg

    data/obj/2.jpg
**PASS**
    data/obj/1.jpg
    data/obj/2.jpg

*Fix safety*: not fixable automatically.
"""),
    ("DN444", "list-empty", "error", "an empty or all-blank train list (darknet divides by zero, or hangs)",
     """list-empty: an empty or all-blank train list (darknet divides by zero, or hangs).

*Why*: with no entry in the `train=` list darknet draws an image with `rand() % 0`: the process is
killed by SIGFPE (floating point exception) at the first batch. A list of blank lines only is no
better: darknet redraws a blank entry until it draws a path, so it never ends.

*Severity*: an error: darknet crashes or hangs.

**FAIL**
    (train.txt with no line)
**PASS**
    data/obj/1.jpg

*Fix safety*: not fixable automatically.
"""),
    ("DN445", "image-missing", "error", "an image list entry darknet cannot open",
     """image-missing: an image list entry darknet cannot open.

*Why*: darknet opens each list entry as written, relative to the folder it runs in, without trimming
blanks. An image it cannot open prints `Cannot load image "<path>"` and `STB Reason: can't fopen`,
is appended to `bad.list`, and is replaced by a 10x10 black image, while its label file (whose path
*is* trimmed) is still read: the boxes are trained on a blank picture. All such entries of a list
are one finding.

*Severity*: an error: darknet trains the image's boxes on a blank picture.

**FAIL**
    data/obj/1.jpg              # no such file
    "data/obj/2.jpg "           # a trailing space: the image is not found, its labels are
**PASS**
    data/obj/2.jpg

*Fix safety*: not fixable automatically.
"""),
    ("DN446", "label-missing", "warning", "a label file darknet cannot open (the image becomes a negative)",
     """label-missing: a label file darknet cannot open (the image becomes a negative).

*Why*: for every image darknet opens the label file its path maps to (`/JPEGImages/` -> `/labels/`,
the `/images/train2017/`-style COCO folders, the extension -> `.txt`). A file it cannot open prints
"Can't open label file. (This can be normal only if you use MSCOCO): <path>", is appended to
`bad.list`, and the image trains as a negative sample (no object). A background image should have
an empty label file instead. All such images of a list are one finding.

*Severity*: a warning: training goes on; every object in the image is learnt as background.

**FAIL**
    data/obj/1.jpg              # data/obj/1.txt does not exist
**PASS**
    data/obj/1.jpg              # data/obj/1.txt exists (empty for a background image)

*Fix safety*: not fixable automatically.
"""),
    ("DN447", "label-path-unusable", "error", "an image path darknet cannot map to a label file",
     """label-path-unusable: an image path darknet cannot map to a label file.

*Why*: darknet replaces only `.jpg .JPG .jpeg .JPEG .png .PNG .bmp .BMP .ppm .PPM .tiff .TIFF` at the very
end of the path by `.txt` (and only when that is where the extension first occurs: `a.jpg.jpg`
stays). Any other path (`.Jpg`, `.tif`, `.webp`, a CR left at the end of the list's last line)
prints "Failed to infer label file name (check image extension is supported): <path>" and darknet
reads the *image file itself* as its label file: its bytes do not parse, so the image silently
becomes a negative sample and its real labels are never read. A path of 4 characters or less prints
"Label file name is too short".

*Severity*: an error: the image's labels are never read.

**FAIL**
    data/obj/1.Jpg
**PASS**
    data/obj/1.jpg

*Fix safety*: not fixable automatically.
"""),
    ("DN448", "label-class-range", "error", "a label's class id outside 0..classes-1",
     """label-class-range: a label's class id outside 0..classes-1.

*Why*: darknet checks each box against `classes=` of the cfg's last detection layer: an id at or above
it prints " Wrong annotation: class_id = 3. But class_id should be [from 0 to 1], file: <label> ",
appends the line to `bad_label.list` and drops the box, every time the image is drawn. A negative id
passes the loader; then every `[yolo]` layer prints " Warning: in txt-labels class_id=-1 >= classes=2
in cfg-file ..." for every cell and anchor and never trains the box (`calc_anchors` corrupts its
heap with it). Usually the dataset and the cfg disagree on the number of classes. Every box with the
same id is one finding. Without a cfg, the names file's count is used.

*Severity*: an error: darknet trains without these objects.

**FAIL**
    3 0.5 0.5 0.2 0.2           # classes=2
**PASS**
    1 0.5 0.5 0.2 0.2

*Fix safety*: not fixable automatically.
"""),
    ("DN449", "label-box-invalid", "warning", "a box darknet drops (x=y=0, entirely outside, NaN)",
     """label-box-invalid: a box darknet drops (x=y=0, entirely outside, NaN).

*Why*: a box with `x == 0 && y == 0`, or lying entirely outside the image (`x+w/2 < 0`, `y+h/2 < 0`,
`x-w/2 > 1`, `y-h/2 > 1`), is dropped with " Wrong annotation: x = 0, y = 0, < 0 or > 1, file: <label> "
(and a line in `bad_label.list`). A NaN coordinate passes every check without a message and trains
nothing. Boxes are judged as written (no augmentation). Every box of the same kind is one finding.

*Severity*: a warning: darknet drops the box and goes on.

**FAIL**
    0 0 0 0.2 0.2
    0 1.5 0.5 0.2 0.2
**PASS**
    0 0.5 0.5 0.2 0.2

*Fix safety*: not fixable automatically.
"""),
    ("DN450", "label-box-tiny", "warning", "a box under one network pixel (darknet drops it silently)",
     """label-box-tiny: a box under one network pixel (darknet drops it silently).

*Why*: darknet drops, without any message, a box whose width or height is under one pixel of the
network input (`w < 1/width` or `h < 1/height` of the cfg, after the box is clipped to the image).
Checked only with a cfg, at its own size (multi-scale training changes the threshold).

*Severity*: a warning: the object is silently never trained.

**FAIL**
    0 0.5 0.5 0.001 0.2         # width=416: under one pixel
**PASS**
    0 0.5 0.5 0.01 0.2

*Fix safety*: not fixable automatically.
"""),
    ("DN451", "label-box-clipped", "info", "a box partly outside the image or larger than it (clipped)",
     """label-box-clipped: a box partly outside the image or larger than it (clipped).

*Why*: darknet clips a box that is partly outside the image (or wider/taller than it) to the image
edges and recomputes its centre and size, silently: what is trained is not the box written.
Often a sign of labels converted with the wrong image size or of corner coordinates written as
centres.

*Severity*: info: darknet trains the clipped box without a message.

**FAIL**
    0 0.95 0.5 0.3 0.2
**PASS**
    0 0.80 0.5 0.3 0.2

*Fix safety*: not fixable automatically.
"""),
    ("DN452", "label-unparsed", "error", "label text darknet stops reading at, or reads shifted",
     """label-unparsed: label text darknet stops reading at, or reads shifted.

*Why*: darknet reads a label file as a stream of `<int> <float> <float> <float> <float>` groups,
ignoring line breaks, and stops silently at the first group that does not convert: a `# comment`,
commas, a word lose that line and everything after it. A line with 4 or 6 numbers shifts every box
after it (the 6th number becomes the next box's class id; with 4, the next class id is the height).

*Severity*: an error: boxes are silently lost or read as other boxes; a warning when reading stops at
text with no digit after it (a trailing comment): nothing is lost until a box is added after it.

**FAIL**
    0 0.5 0.5 0.2               # 4 numbers
    1 0.3 0.3 0.1 0.1
    # a comment: nothing after it is read
**PASS**
    0 0.5 0.5 0.2 0.2
    1 0.3 0.3 0.1 0.1

*Fix safety*: not fixable automatically.
"""),
    ("DN453", "label-empty", "info", "empty label files: background (negative) images",
     """label-empty: empty label files: background (negative) images.

*Why*: an empty label file makes its image a negative sample: darknet learns it as background, as
intended for images without objects (the how-to suggests about as many as images with objects).
Reported once per list, with the count, so that an unintended number stands out.

*Severity*: info: this is how darknet's negatives are written.

**FAIL**
    data/obj/bg.jpg             # data/obj/bg.txt is empty
**PASS**
    data/obj/1.jpg              # data/obj/1.txt has boxes

*Fix safety*: not fixable automatically.
"""),
    ("DN454", "image-duplicate", "warning", "the same image listed more than once",
     """image-duplicate: the same image listed more than once.

*Why*: darknet draws training images uniformly with replacement from the list's entries: an image
listed twice is trained twice as often, and a duplicate across lists is an image in both. Written
paths are compared after normalisation (`./a.jpg` is `a.jpg`). All duplicates of a list are one
finding.

*Severity*: a warning: training weights the image more; intended oversampling is better written
on purpose, not left by a merge of lists.

**FAIL**
    data/obj/1.jpg
    data/obj/1.jpg
**PASS**
    data/obj/1.jpg
    data/obj/2.jpg

*Fix safety*: not fixable automatically.
"""),
    ("DN455", "valid-is-train", "warning", "valid= is the train list, or shares images with it",
     """valid-is-train: valid= is the train list, or shares images with it.

*Why*: with `-map`, darknet measures the mAP that picks `_best.weights` on the `valid=` list; without
a `valid=` line it uses the `train=` list. A mAP on training images says how well the network has
memorised them, not how well it detects new ones. Images in both lists are reported too.

*Severity*: a warning: training works, its mAP figures are optimistic.

**FAIL**
    train = data/train.txt
    valid = data/train.txt
**PASS**
    train = data/train.txt
    valid = data/valid.txt

*Fix safety*: not fixable automatically.
"""),
    ("DN456", "backup-folder", "error", "the backup= folder is missing or not writable",
     """backup-folder: the backup= folder is missing or not writable.

*Why*: darknet never checks the weights folder in advance (`backup=`, default `/backup/` at the
filesystem root): the first save, `_last.weights` after 100 iterations by default, prints
"Couldn't open file: <backup>/<cfg>_last.weights" and exits 1, losing the training so far.

*Severity*: an error: darknet exits at its first save.

**FAIL**
    backup = backup/            # no such folder
**PASS**
    backup = backup/            # mkdir backup

*Fix safety*: not fixable automatically.
"""),
    ("DN457", "names-blank", "warning", "blank lines in the names file (each is a class name)",
     """names-blank: blank lines in the names file (each is a class name).

*Why*: darknet reads one name per line and keeps blank lines as empty names: they count towards the
number of names that `train -map`, `map` and `test` compare with `classes=` (" Error: in the file
<names> number of names K that isn't equal to classes=C", which ends `train -map` at its first mAP
pass, without final weights), and a detection of that class is drawn without a label.

*Severity*: a warning: the blank lines are names; the count itself is DN408's.

**FAIL**
    cat

    dog
**PASS**
    cat
    dog

*Fix safety*: not fixable automatically.
"""),
    ("DN458", "calc-anchors-clusters", "error", "fewer boxes than anchors (calc_anchors segfaults)",
     """calc-anchors-clusters: fewer boxes than anchors (calc_anchors segfaults).

*Why*: `darknet detector calc_anchors` seeds its k-means with the first K boxes of a shuffled index
array: with fewer boxes than clusters (`-num_of_clusters`, 9 in the how-to, the cfg's `num=` here)
it reads past the array and crashes with a segmentation fault.

*Severity*: an error: darknet crashes (`cfggen anchors` reports it instead).

**FAIL**
    (a train list with 5 boxes in all, num=9)
**PASS**
    (a train list with at least 9 boxes)

*Fix safety*: not fixable automatically.
"""),
    ("DN459", "shell-unsafe-path", "error", "an image path with shell metacharacters (run by darknet's system())",
     """shell-unsafe-path: an image path with shell metacharacters (run by darknet's system()).

*Why*: when a label is wrong, darknet records it by running `echo <label path> "..." >> bad_label.list`
through the shell with the path unquoted, from a 256-byte buffer: a path containing `;`, `&`, `|`,
`` ` ``, `$`, `(`, `)`, `<` or `>` runs a command or redirects output the moment its labels are bad
(an image named `x;touch INJ;.png` creates a file `INJ`), and a longer path overflows the buffer.

*Severity*: an error: a security matter (a command runs) or a stack buffer overflow.

**FAIL**
    data/obj/x;rm -rf ~;.jpg
**PASS**
    data/obj/x.jpg

*Fix safety*: not fixable automatically.
"""),
    ("DN463", "label-max-boxes", "warning", "an image with more boxes than max= (darknet keeps a random subset)",
     """label-max-boxes: images with more boxes than the detection layer's `max`.

*Why*: each image's truth buffer holds `max` boxes (`max=` of the last `[yolo]`/`[Gaussian_yolo]`/
`[region]`, default 200): darknet shuffles an image's boxes and keeps the first `max` of them each
time it draws the image, so the others are trained only some of the time, silently. Crowded scenes
(people, cells, cars) exceed it. The how-to's advice is `max=` higher, in every detection layer
(with unequal values the heads read each other's boxes). Without a cfg, darknet's default 200.

*Severity*: a warning: darknet trains on a random subset of the image's boxes without a message.

**FAIL**
    (a label file with 250 boxes; max=200 or no max=)
**PASS**
    (a label file with 250 boxes; max=300 in every [yolo])

*Fix safety*: not fixable automatically (set `max=` in every detection layer).
"""),
)


def _rule(code: str, name: str, severity: str, summary: str, doc: str) -> ModuleType:
    m = ModuleType(f"{__name__}.{code}", doc)
    m.CODE, m.NAME, m.SEVERITY, m.SCOPE, m.SUMMARY, m.check = code, name, severity, "dataset", summary, None
    return m


RULES: tuple[ModuleType, ...] = tuple(_rule(*row) for row in _TABLE)
