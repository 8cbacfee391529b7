"""Videos for tests: written from frames, and damaged the way real files are."""
import struct

import cv2


def write_video(path, frame_paths, fps=10.0):
    fourcc = "mp4v" if str(path).endswith(".mp4") else "MJPG"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (480, 360))
    for p in frame_paths:
        writer.write(cv2.imread(str(p)))
    writer.release()
    return path


def avi_frame_chunks(path):
    """(offset, size) of each frame's data in an AVI's 'movi' list, in order."""
    data = open(path, "rb").read()
    pos = data.index(b"movi") + 4
    chunks = []
    while pos + 8 <= len(data) and data[pos:pos + 4] != b"idx1":
        size = struct.unpack("<I", data[pos + 4:pos + 8])[0]
        if data[pos + 2:pos + 4] == b"dc":
            chunks.append((pos + 8, size))
        pos += 8 + size + (size & 1)
    return chunks


def corrupt_avi_frame(path, frame_number):
    """Zero the JPEG data of one frame (1-based) of an MJPG AVI, as a damaged disk block would."""
    offset, size = avi_frame_chunks(path)[frame_number - 1]
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(bytes(size))
