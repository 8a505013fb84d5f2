"""The names of the dataset formats, without their readers.

Command-line options list them as choices; importing :mod:`mltu_ext.data.detect`
for that would load every reader at each start of ``inferenceModel.py``, which
only reads a dataset with ``--dataset``. ``detect.FORMATS`` has one entry per name
(a test checks that the two agree).
"""

FORMAT_NAMES = (
    "iam_words",
    "iam_lines",
    "iam_sentences",
    "iam_parquet",
    "kaggle",
    "emnist",
    "alto",
    "page_xml",
    "generic_csv",
    "image_txt_folder",
)
