"""Writes statedict.pkl and shard.pkl: the data.pkl that torch.save writes
for a small state dict, made by CPython's own pickle.Pickler as torch.save
drives it (protocol 2, persistent ids for storages, tensors reduced through
torch._utils._rebuild_tensor_v2), with stand-ins for torch's classes so that
torch itself is not needed. internal/torchsave must reproduce these bytes.

Run with python3 (3.8 or later) in this directory.
"""
import collections
import pickle
import sys
import types

torch = types.ModuleType("torch")
utils = types.ModuleType("torch._utils")
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils


def stand_in(module, name, obj):
    obj.__module__, obj.__qualname__, obj.__name__ = module, name, name
    setattr(sys.modules[module], name, obj)
    return obj


rebuild_tensor_v2 = stand_in("torch._utils", "_rebuild_tensor_v2", lambda *a: None)
rebuild_parameter = stand_in("torch._utils", "_rebuild_parameter", lambda *a: None)
storage_class = {
    dt: stand_in("torch", cls, type(cls, (), {}))
    for dt, cls in [("F32", "FloatStorage"), ("F16", "HalfStorage"), ("BF16", "BFloat16Storage")]
}


class Storage:  # torch.storage.TypedStorage
    def __init__(self, dtype, numel):
        self.cls, self.numel = storage_class[dtype], numel


class Tensor:  # torch.Tensor._reduce_ex_internal for a CPU tensor
    def __init__(self, storage, offset, size, stride=None):
        if stride is None:
            stride, n = [], 1
            for d in reversed(size):
                stride.insert(0, n)
                n *= d
        self.storage, self.offset, self.size, self.stride = storage, offset, list(size), list(stride)

    def __reduce_ex__(self, proto):
        args = (self.storage, self.offset, tuple(self.size), tuple(self.stride), False, collections.OrderedDict())
        return (rebuild_tensor_v2, args)


class Parameter(Tensor):  # torch.nn.Parameter.__reduce_ex__
    def __reduce_ex__(self, proto):
        data = Tensor(self.storage, self.offset, self.size, self.stride)
        return (rebuild_parameter, (data, True, collections.OrderedDict()))


def dump(obj):
    id_map = {}

    class Pickler(pickle.Pickler):  # torch.serialization._save's persistent_id
        def persistent_id(self, obj):
            if isinstance(obj, Storage):
                key = id_map.setdefault(id(obj), str(len(id_map)))
                return ("storage", obj.cls, key, "cpu", obj.numel)
            return None

    import io
    buf = io.BytesIO()
    Pickler(buf, protocol=2).dump(obj)
    return buf.getvalue()


def state_dict(cls):
    embed, q, k, mlp, norm, scale, gate = (Storage("F16", 12), Storage("F32", 6), Storage("F32", 6),
                                           Storage("BF16", 10), Storage("F32", 3), Storage("F32", 1),
                                           Storage("F32", 300))
    sd = cls()
    sd["model.embed_tokens.weight"] = Tensor(embed, 0, [4, 3])
    sd["model.layers.0.self_attn.q_proj.weight"] = Tensor(q, 0, [2, 3])
    sd["model.layers.0.self_attn.k_proj.weight"] = Tensor(k, 0, [3, 2], [1, 3])  # a transpose
    sd["model.layers.0.mlp.up_proj.weight"] = Tensor(mlp, 4, [2, 3])
    sd["model.layers.0.mlp.down_proj.weight"] = Tensor(mlp, 0, [4])
    sd["model.layers.0.mlp.gate_proj.weight"] = Tensor(gate, 0, [20, 15])
    sd["model.layers.0.self_attn.scale"] = Tensor(scale, 0, [])
    for i in range(1, 41):
        sd[f"model.layers.{i}.input_layernorm.weight"] = Tensor(Storage("F32", 2), 0, [2])
    sd["model.norm.weight"] = Parameter(norm, 0, [3])
    sd["lm_head.weight"] = Tensor(embed, 0, [4, 3])  # tied to the embedding
    return sd


ordered = state_dict(collections.OrderedDict)
# nn.Module.state_dict records a version per module path, in pre-order.
ordered._metadata = collections.OrderedDict()
for name in ordered:
    parts = name.split(".")
    for i in range(len(parts)):
        ordered._metadata.setdefault(".".join(parts[:i]), dict(version=1))
with open("statedict.pkl", "wb") as f:
    f.write(dump(ordered))
with open("shard.pkl", "wb") as f:
    f.write(dump(state_dict(dict)))
