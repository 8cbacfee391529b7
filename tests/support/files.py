"""What a user has on disk, to check a run left it as it was."""
import os


def snapshot(folder):
    """{relative path: bytes} of every file under ``folder``, None for folders and links (not followed)."""
    found = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            found[os.path.relpath(path, folder)] = (None if os.path.isdir(path) or os.path.islink(path)
                                                    else open(path, "rb").read())
    return found
