"""Records: the model of a batch and its projects, and loading them from files."""
