"""Dataset readers, one format a module; ``mltu_ext.data.detect`` picks one from what is at a path."""
