"""Builders of hostile model files: zip bombs, lying sizes, absurd shapes, deep nesting."""

import io
import itertools
import json
import struct
import zipfile
import zlib

import numpy as np


def members(path):
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def write(path, content, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as archive:
        for name, data in content.items():
            archive.writestr(name, data)
    return path


def edit_json(source, target, edit, member="schema.json"):
    """Copy ``source`` to ``target`` with the JSON member ``member`` changed in place by ``edit``."""
    content = members(source)
    document = json.loads(content[member])
    edit(document)
    content[member] = json.dumps(document)
    return write(target, content)


def schema_dicts(node):
    """Every dict in a skops schema, depth first (callers pick the nodes they edit)."""
    if isinstance(node, dict):
        yield node
        children = node.values()
    else:
        children = node if isinstance(node, list) else ()
    for child in children:
        yield from schema_dicts(child)


def json_node(value):
    return {"__class__": "str", "__module__": "builtins", "__loader__": "JsonNode", "content": json.dumps(value),
            "is_json": True, "__id__": 1}


_FRESH_IDS = itertools.count(10_000)


def edit_objects(schema, class_name, values):
    """Set ``values`` (JSON values) as attributes of every stored object of class ``class_name``."""
    for node in schema_dicts(schema):
        if node.get("__class__") != class_name or node.get("__loader__") != "ObjectNode":
            continue
        state = node["content"]
        for key, value in values.items():
            if key not in state["content"]:
                # skops pairs each key with a type entry: without one the key would be dropped.
                state["key_types"]["content"].append({"__class__": "str", "__module__": "builtins",
                                                      "__loader__": "TypeNode", "__id__": 2})
            # A fresh id: skops reuses the object already built for an id it has seen.
            state["content"][key] = {**json_node(value), "__id__": next(_FRESH_IDS)}


def array_member(schema, key):
    return schema["content"]["content"][key]["file"]


def patch_declared_size(path, name, size, crc=None):
    """Rewrite a member's uncompressed size (and CRC) in the central directory."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        offset = archive.getinfo(name).header_offset
    start = data.rfind(b"PK\x01\x02" + data[offset + 4: offset + 6])
    while True:
        name_length = struct.unpack("<H", data[start + 28: start + 30])[0]
        if bytes(data[start + 46: start + 46 + name_length]) == name.encode():
            break
        start = data.find(b"PK\x01\x02", start + 4)
    if crc is not None:
        data[start + 16: start + 20] = struct.pack("<I", crc)
    data[start + 24: start + 28] = struct.pack("<I", size)
    path.write_bytes(bytes(data))


def hostile_files(folder, good):
    """``{case: (path, message fragment)}`` derived from ``good``, a saved AnyLossClassifier."""
    content = members(good)
    schema = json.loads(content["schema.json"])
    files = {}

    # A member declaring 4 GiB once inflated (its bytes are a few kB).
    bomb = dict(content)
    bomb["bomb.npy"] = b"\0" * (8 << 20)
    path = write(folder / "bomb.dkm", bomb)
    patch_declared_size(path, "bomb.npy", 0xFFFFFFF0)
    files["inflates past the limit"] = (path, "inflates past the")

    # A member that lies: declared 64 bytes (with a matching CRC), inflates to 256 MiB.
    liar = dict(content)
    liar["liar.npy"] = b"\0" * (256 << 20)
    path = write(folder / "liar.dkm", liar)
    patch_declared_size(path, "liar.npy", 64, crc=zlib.crc32(b"\0" * 64))
    files["lying size"] = (path, "corrupt array 'liar.npy'")

    # An array header claiming 10^12 float64 values over 8 bytes of data.
    absurd = dict(content)
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (10**12,)})
    absurd[array_member(schema, "classes_")] = b"\x93NUMPY\x01\x00" + header.getvalue()[8:] + b"\0" * 8
    files["absurd shape"] = (write(folder / "absurd.dkm", absurd), "declares shape (1000000000000,)")

    # A network of 100,000 x 100,000 hidden units (40 GB) described by the parameters, tiny weights.
    def widen(s):
        s["content"]["content"]["hidden_layer_sizes"]["content"] = [json_node(100_000), json_node(100_000)]

    files["huge network"] = (edit_json(good, folder / "wide.dkm", widen), "do not fit the network")

    # A schema nested 100,000 levels deep.
    deep = dict(content)
    deep["schema.json"] = "[" * 100_000 + "]" * 100_000
    files["deep nesting"] = (write(folder / "deep.dkm", deep), "corrupt model file")
    return files
