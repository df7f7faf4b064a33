#!/usr/bin/python3
"""Writes the fuzzers' seed corpora (tests/fuzz/corpus/<target>/): small valid inputs of each
format, so the fuzzers start inside the readers rather than at their first check. Deterministic;
needs python3-torch (a real torch.save file) and python3-numpy. Usage: make_corpora.py [DIR]"""
import collections
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
import torch

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def put(target, name, data):
    folder = os.path.join(root, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def joined(first, second):
    """The split() layout of fuzz_support.h: bytes 0–1 set the boundary in 65536ths of the rest."""
    total = len(first) + len(second)
    share = 0 if total == 0 else min(65535, -(-len(first) * 65536 // total))
    assert total == 0 or total * share // 65536 == len(first)
    return struct.pack(">H", share) + first + second


# safetensors: two tensors, metadata, as the format's writers lay it out.
def safetensors(tensors, metadata):
    header, data = {"__metadata__": metadata}, b""
    for name, (dtype, array) in tensors.items():
        raw = array.tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    return struct.pack("<Q", len(text)) + text + data


put("fuzz_safetensors", "two_tensors.safetensors",
    safetensors({"w": ("F32", np.arange(6, dtype=np.float32).reshape(2, 3)),
                 "n": ("I64", np.array([7], dtype=np.int64))}, {"format": "cdrl"}))
put("fuzz_safetensors", "empty.safetensors", safetensors({}, {}))

# torch.save: a state dict with shared storage, as the authors' files hold.
buffer = io.BytesIO()
w = torch.arange(6, dtype=torch.float32).reshape(2, 3)
torch.save({"state_dict": collections.OrderedDict([("w", w), ("w_t", w.t()),
                                                    ("step", torch.tensor(3))]),
            "epoch": 1}, buffer)
put("fuzz_torch_archive", "state_dict.pth.tar", buffer.getvalue())

# IDX: two 28×28 images and their labels.
images = struct.pack(">IIII", 2051, 2, 28, 28) + bytes(range(256)) * 6 + bytes(32)
labels = struct.pack(">II", 2049, 2) + bytes([3, 9])
put("fuzz_idx", "two_images", joined(images, labels))

# CIFAR-10: one record (label + 3072 bytes) and the class names.
record = bytes([4]) + bytes((k * 7) % 256 for k in range(3072))
names = "\n".join(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck"]).encode() + b"\n\n"
put("fuzz_cifar", "one_record", joined(record, names))

# CelebA: one image with three attributes, in the train partition.
attributes = b"1\nMale Smiling Young\n000001.jpg  1 -1  1\n"
put("fuzz_celeba", "one_image", joined(attributes, b"000001.jpg 0\n"))

put("fuzz_point_csv", "header.csv", b"x,y\n0.5,-1.25\n3,4e-2\n-7,1\n")
put("fuzz_point_csv", "plain.csv", b"1 2\n3 4\n5 6\n")

lines = (b'{"step":10,"loss_ebm":0.5,"levels":[{"level":1,"init_error":2.5}]}\n'
         b'{"step":20,"loss_ebm":0.25}\n{"restart":10}\n{"step":20,"loss_ebm":0.3}\n')
put("fuzz_metrics", "restart", joined(lines[:60], lines[60:]))


# Images: 4×3 pixels in each format the readers take (PNG by hand, the others by numpy bytes).
def png(width, height, rgb):
    raw = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    chunk = lambda kind, body: (struct.pack(">I", len(body)) + kind + body
                                + struct.pack(">I", zlib.crc32(kind + body)))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


put("fuzz_image", "rgb.png", png(4, 3, (200, 40, 10)))


def with_text(png_bytes, key, text):
    """The PNG with a tEXt chunk inserted after IHDR (8 + 25 bytes in)."""
    body = key.encode() + b"\0" + text.encode()
    chunk = (struct.pack(">I", len(body)) + b"tEXt" + body
             + struct.pack(">I", zlib.crc32(b"tEXt" + body)))
    return png_bytes[:33] + chunk + png_bytes[33:]


record = json.dumps({"checkpoint": "fmnist-tiny.safetensors", "count": 16, "seed": "42",
                     "steps": 0, "noise": True, "ema": True, "class": 3, "guidance": 3.0,
                     "concepts": [{"label": 2, "weight": 1.5}]}, separators=(",", ":"))
# fuzz_png_settings: an odd first byte means "the whole file", an even one "the record's text".
put("fuzz_png_settings", "record.png",
    b"\x01" + with_text(png(4, 3, (20, 90, 160)), "cdrl-studio", record))
put("fuzz_png_settings", "record.json", b"\x00" + record.encode())
put("fuzz_image", "grey.pgm", b"P5\n4 3\n255\n" + bytes(range(0, 240, 20)))
put("fuzz_image", "rgb.ppm", b"P6\n# comment\n4 3\n255\n" + bytes(range(36)))
row = bytes([10, 40, 200] * 4)
put("fuzz_image", "rgb.bmp", b"BM" + struct.pack("<IHHI", 54 + 48, 0, 0, 54)
    + struct.pack("<IiiHHIIiiII", 40, 4, 3, 1, 24, 0, 48, 2835, 2835, 0, 0) + row * 3)
