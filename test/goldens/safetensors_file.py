"""The safetensors writer the golden scripts share, so they need no package beyond torch.

The format: an 8-byte little-endian header length, a JSON header (padded with spaces to a
multiple of 8) naming each tensor's dtype, shape and data offsets, then the raw little-endian data.
"""

import json
import struct

import torch

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int32: "I32", torch.int64: "I64", torch.bool: "BOOL"}


def write_safetensors(path, tensors, metadata=None):
    """Writes `tensors` (name -> tensor, in the dict's order) and optional string `metadata` to `path`."""
    header, blobs, offset = {}, [], 0
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        array = t.detach().contiguous().numpy()
        data = array.astype(array.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
