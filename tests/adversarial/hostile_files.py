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


def object_state(schema, class_name):
    """The stored state (key -> node) of the first object of class ``class_name``."""
    for node in schema_dicts(schema):
        if node.get("__class__") == class_name and node.get("__loader__") == "ObjectNode":
            return node["content"]
    raise KeyError(class_name)


def npy(array=None, *, header=None):
    """The bytes of an ``.npy`` member: ``array``, or only a header (a shape that holds no data)."""
    buffer = io.BytesIO()
    if header is None:
        np.save(buffer, array)
        return buffer.getvalue()
    np.lib.format.write_array_header_1_0(buffer, header)
    return b"\x93NUMPY\x01\x00" + buffer.getvalue()[8:]


#: Model files whose objects hold state their class does not define: case -> what the error says.
STATE_CASES = {
    "an attribute its class lacks": "LogisticRegression has no parameter or fitted attribute 'decision_rule'",
    "a method replaced by data": "holds 'predict_proba', which would replace what its class defines",
    "a parameter of the wrong type": "'C' parameter of LogisticRegression",
    "a parameter removed": "LogisticRegression lacks its parameter 'C'",
    "coefficients as text": "LogisticRegression.coef_ is a str, not an array",
    "coefficients removed": "does not run on a row of its own columns",
    "classes removed": "the archive holds []",
    "a feature count as text": "n_features_in_ is '3', not a count of features",
    "a network parameter of the wrong type": "'optimizer' parameter of AnyLossClassifier",
    "a property replaced by data": "AnyLossClassifier has no parameter 'decision_rule'",
    "network weights removed": "does not run on a row of its own columns",
    "a state key that is a number": "LogisticRegression holds a state key 7 of type int",
    "distilkit.json: other classes": "says classes ['cat', 'dog']",
    "distilkit.json: another estimator": "says estimator 'nbhead'",
    "distilkit.json: other columns": "says columns ['x', 'y', 'z']",
    "distilkit.json: a target that is a list": "'target' is not a column name",
    "distilkit.json: a column listed twice": "the roles name column 'a' twice",
    "distilkit.json: columns that are dicts": "'columns' is not a list of names, each once",
    "classes swapped against the coefficients": "are not in the sorted order fitting gives them",
    "an empty array of absurd shape": "declares shape (0, 1000000000000000)",
    "64 MiB of zeros": "at most 100x the file's size",
    "a list of a million objects": "objects in the model file",
    "a dict of 400,000 entries": "objects in the model file",
    "sixty thousand layers": "network weights do not fit the network",
    "a member shorter than declared": "holds fewer bytes than declared",
}


def _list_node(values):
    return {"__class__": "list", "__module__": "builtins", "__loader__": "ListNode", "__id__": 3, "content": values}


def hostile_state_files(folder, logreg, neural):
    """``{case: path}`` for :data:`STATE_CASES`.

    ``logreg`` is a table model ending in a LogisticRegression (classes neg, pos, columns
    a, b, c), ``neural`` one ending in an AnyLossClassifier.
    """
    files = {}

    def edited(name, source, edit, member="schema.json"):
        files[name] = edit_json(source, folder / f"state{len(files)}.dkm", edit, member=member)

    def state_edit(class_name, values, drop=(), key_type=None):
        def edit(schema):
            edit_objects(schema, class_name, values)
            state = object_state(schema, class_name)
            for key in drop:
                position = list(state["content"]).index(key)
                del state["content"][key]
                del state["key_types"]["content"][position]
            if key_type is not None:
                # The last key is read back as another type (skops converts keys by their key_types entry).
                state["key_types"]["content"][-1]["__class__"] = key_type
        return edit

    for name, class_name, values, drop in [
        ("an attribute its class lacks", "LogisticRegression", {"decision_rule": [0.99, "pos"]}, ()),
        ("a method replaced by data", "LogisticRegression", {"predict_proba": 7}, ()),
        ("a parameter of the wrong type", "LogisticRegression", {"C": "high"}, ()),
        ("a parameter removed", "LogisticRegression", {}, ("C",)),
        ("coefficients as text", "LogisticRegression", {"coef_": "abc"}, ()),
        ("coefficients removed", "LogisticRegression", {}, ("coef_",)),
        ("classes removed", "LogisticRegression", {}, ("classes_",)),
        ("a feature count as text", "LogisticRegression", {"n_features_in_": "3"}, ()),
        ("a network parameter of the wrong type", "AnyLossClassifier", {"optimizer": 7}, ()),
        ("a property replaced by data", "AnyLossClassifier", {"decision_rule": 7}, ()),
        ("network weights removed", "AnyLossClassifier", {}, ("module_weights_",)),
    ]:
        edited(name, neural if class_name == "AnyLossClassifier" else logreg, state_edit(class_name, values, drop))
    edited("a state key that is a number", logreg, state_edit("LogisticRegression", {"7": 1}, key_type="int"))

    for name, change in [
        ("other classes", lambda m: m.update(classes=["cat", "dog"])),
        ("another estimator", lambda m: m.update(estimator="nbhead")),
        ("other columns", lambda m: m.update(columns=["x", "y", "z"])),
        ("a target that is a list", lambda m: m["metadata"].update(target=["label"])),
        ("a column listed twice", lambda m: m.update(roles=[m["roles"][0], m["roles"][0]])),
        ("columns that are dicts", lambda m: m.update(columns=[{"a": 1}])),
    ]:
        edited(f"distilkit.json: {name}", logreg, change, member="distilkit.json")

    def swap(schema):
        classes = object_state(schema, "LogisticRegression")["content"]["classes_"]
        classes["content"] = classes["content"][::-1]

    # A head whose classes were swapped against its coefficients: every prediction would flip.
    edited("classes swapped against the coefficients", logreg, swap)
    content = members(logreg)
    coef = object_state(json.loads(content["schema.json"]), "LogisticRegression")["content"]["coef_"]["file"]
    # An array of shape (0, 10**15): no bytes, and 8 EB to anything that reshapes it.
    files["an empty array of absurd shape"] = write(folder / "empty.dkm", {**content, coef: npy(
        header={"descr": "<f8", "fortran_order": False, "shape": (0, 10**15)})})
    # 64 MiB of zeros (what a bytearray node's member would hold) in a file of a few kB.
    files["64 MiB of zeros"] = write(folder / "blob.dkm", {**content, "blob.bin": b"\0" * (64 << 20)})

    def grow(node):
        def edit(schema):
            edit_objects(schema, "LogisticRegression", {})
            object_state(schema, "LogisticRegression")["content"]["extra_"] = node
        return edit

    edited("a list of a million objects", logreg, grow(_list_node([json_node(i) for i in range(1_000_000)])))
    edited("a dict of 400,000 entries", logreg, grow(
        {"__class__": "dict", "__module__": "builtins", "__loader__": "DictNode", "__id__": 3,
         "content": {str(i): json_node(i) for i in range(400_000)},
         "key_types": _list_node([{"__class__": "str", "__module__": "builtins", "__loader__": "TypeNode",
                                   "__id__": 2}] * 400_000)}))

    def deepen(schema):
        object_state(schema, "AnyLossClassifier")["content"]["hidden_layer_sizes"]["content"] = [json_node(1)] * 60_000

    edited("sixty thousand layers", neural, deepen)
    short = write(folder / "short.dkm", content)
    patch_declared_size(short, coef, len(content[coef]) + 4096)
    files["a member shorter than declared"] = short
    assert set(files) == set(STATE_CASES)
    return files


#: Static students whose tokenizer or vectors lie: case -> what the error says.
STATIC_CASES = {
    "a tokenizer that is not JSON": "TokenBag: the tokenizer is not a tokenizer's JSON",
    "a tokenizer with another vocabulary": "TokenBag: the tokenizer has",
    "a tokenizer declaring an absurd vocabulary": "TokenBag: the tokenizer's token ids are not 0 .. 17",
    "a vocabulary size the vectors do not have": "TokenBag: the tokenizer has",
    "a tokenizer of 64 MiB": "at most 100x the file's size",
}


def hostile_static_files(folder, static):
    """``{case: path}`` for :data:`STATIC_CASES`, from ``static``, a saved static student."""
    content = members(static)
    schema = json.loads(content["schema.json"])
    tokenizer = json.loads(json.loads(object_state(schema, "TokenBag")["content"]["tokenizer"]["content"]))
    files = {}

    def with_tokenizer(name, document):
        files[name] = edit_json(static, folder / f"static{len(files)}.dkm",
                                lambda s: edit_objects(s, "TokenBag", {"tokenizer": document}))

    with_tokenizer("a tokenizer that is not JSON", "{not json")
    extended = json.loads(json.dumps(tokenizer))
    extended["model"]["vocab"].update({f"extra{i}": len(extended["model"]["vocab"]) + i for i in range(10)})
    with_tokenizer("a tokenizer with another vocabulary", json.dumps(extended))
    absurd = json.loads(json.dumps(tokenizer))
    absurd["model"]["vocab"]["film"] = 10**9
    with_tokenizer("a tokenizer declaring an absurd vocabulary", json.dumps(absurd))
    files["a vocabulary size the vectors do not have"] = edit_json(
        static, folder / "static_size.dkm", lambda s: edit_objects(s, "TokenBag", {"n_tokens_": 7}))
    with_tokenizer("a tokenizer of 64 MiB", json.dumps(tokenizer) + " " * (64 << 20))
    assert set(files) == set(STATIC_CASES)
    return files
