"""decompose-dynamic-tensor-lists: TensorLists carried by a `tf.While` become plain tensors, also
when their element shape has a dynamic dim (a Keras RNN with a `None` batch).

litert-converter's TensorList lowering (like the stock converter's) needs a static element shape
("'tf.TensorListReserve' op requires element_shape to be static"), so no dynamic-batch Keras
LSTM / GRU / SimpleRNN converts with either. Here a list carried through a loop is a tensor
[num_elements, *element_shape]:

    TensorListFromTensor(t)        -> t
    TensorListReserve(shape, n)    -> Fill([n] ++ Shape(s), 0), where s is the loop-carried value
                                      whose every iteration's value the loop writes into the list
                                      (the RNN state): its shape is the element shape at run time
    TensorListGetItem(l, i)        -> GatherV2(l, i, axis 0)                      (GATHER)
    TensorListSetItem(l, i, x)     -> XlaDynamicUpdateSlice(l, x[None], [i, 0..]) (DYNAMIC_UPDATE_SLICE)
                                      (x[None] itself for a one-element list written at 0: an RNN's
                                      last output, where litert's lowering updates a buffer per step)
    TensorListStack(l)             -> l

A list is rewritten only when every use is one of these (and Identity), the loop's body and
condition functions serve no other caller, and for a Reserve the element shape can be inferred as
above; anything else is left as it was (static element shapes: to litert's own lowering; dynamic
ones fail in TFL legalization as before). Option static=false leaves every static list to litert.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from tflx import builder as b
from tflx.mlir import ir, walk_ops
from tflx.plugin import Pass, register_pass

_ELEMENT = re.compile(r"^tensor<!tf_type\.variant<(tensor<[^>]*>)>>$")


def element_type(t: ir.Type) -> ir.RankedTensorType | None:
    """The element type of a TensorList type (`tensor<!tf_type.variant<tensor<?x16xf32>>>`)."""
    m = _ELEMENT.match(str(t))
    if not m:
        return None
    try:
        return ir.RankedTensorType(ir.Type.parse(m[1]))
    except ValueError:
        return None


def _users(v: ir.Value) -> list:
    return [u.owner for u in v.uses]


def _symbol(op, name: str) -> str:
    return ir.FlatSymbolRefAttr(op.attributes[name]).value


def _callers(module: ir.Module) -> dict:
    """function name -> how many ops reference it by symbol."""
    count: dict = {}
    for op in walk_ops(module):
        for i in range(len(op.attributes)):
            a = op.attributes[i].attr
            if isinstance(a, ir.FlatSymbolRefAttr) or str(a).startswith("@"):
                try:
                    name = ir.FlatSymbolRefAttr(a).value
                except ValueError:
                    continue
                count[name] = count.get(name, 0) + 1
    return count


def _body_list_uses_ok(arg: ir.Value, ret, k: int) -> ir.Value | None:
    """The body's uses of list argument k are GetItem / SetItem chains ending in return #k.
    Returns the value SetItem writes (None when nothing is written: read-only list), or raises
    ValueError when the list is used otherwise."""
    written = None
    cur = arg
    while True:
        users = _users(cur)
        nxt = None
        for u in users:
            if u.name == "tf.TensorListGetItem" and u.operands[0] == cur:
                continue
            if u.name in ("tf.TensorListSetItem", "tf.Identity") and u.operands[0] == cur and nxt is None:
                if u.name == "tf.TensorListSetItem":
                    if written is not None:
                        raise ValueError("two writes per iteration")
                    written = u.operands[2]
                nxt = u.result
                continue
            if u.name == "func.return" and list(u.operands).index(cur) == k:
                continue
            raise ValueError(f"list used by {u.name}")
        if nxt is None:
            if ret.operands[k] != cur:
                raise ValueError("list not returned at its own position")
            return written
        cur = nxt


@register_pass
@dataclass(frozen=True)
class DecomposeDynamicTensorLists(Pass):
    name = "decompose-dynamic-tensor-lists"
    stage = "tf"
    description = ("TensorLists with a dynamic element shape carried by tf.While (dynamic-batch Keras RNNs) "
                   "-> tensors with GATHER / DYNAMIC_UPDATE_SLICE")
    static: bool = True  # lists with a static element shape too (else left to litert's lowering)
    # litert-opt's tfl-lower-static-tensor-list options (that pass is this one with their defaults):
    allow_tensorlist_pass_through: bool = True  # else a list that cannot be lowered is an error
    default_to_single_batch: bool = False  # unknown element dims are 1 (no run-time shape)
    enable_dynamic_update_slice: bool = True  # else a write is slice + concat

    def run(self, module: ir.Module) -> int:
        funcs = b.functions(module)
        callers = _callers(module)
        n = 0
        for w in [op for op in walk_ops(module) if op.name == "tf.While"]:
            body, cond = funcs.get(_symbol(w, "body")), funcs.get(_symbol(w, "cond"))
            if body is None or cond is None or callers.get(_symbol(w, "body")) != 1 or callers.get(_symbol(w, "cond")) != 1:
                continue
            for k in range(len(w.operands)):
                new_w = self._rewrite_list(w, k, body, cond)
                if new_w is not None:
                    w = new_w
                    n += 1
        if not self.allow_tensorlist_pass_through:
            left = next((op for op in walk_ops(module) if op.name.startswith("tf.TensorList")), None)
            if left is not None:
                from tflx.errors import TflxError
                raise TflxError(f"cannot lower '{left.name}' (only lists carried by a tf.While and used by "
                                "FromTensor/Reserve, GetItem, SetItem, Stack are); allow-tensorlist-pass-through "
                                "leaves it", pass_name=self.name, op=left.name, location=str(left.location))
        return n

    def _rewrite_list(self, w, k: int, body, cond):
        elem = element_type(w.operands[k].type)
        if elem is None or (elem.has_static_shape and not self.static):
            return None
        bblock, cblock = body.regions[0].blocks[0], cond.regions[0].blocks[0]
        if len(list(cblock.arguments[k].uses)):
            return None
        barg = bblock.arguments[k]
        ret = bblock.operations[len(bblock.operations) - 1]
        try:
            written = _body_list_uses_ok(barg, ret, k)
        except ValueError:
            return None
        stack_users = _users(w.results[k])
        if any(u.name != "tf.TensorListStack" for u in stack_users):
            return None
        src = w.operands[k]
        producer = b.defining_op(b.skip_identity(src), "tf.TensorListFromTensor", "tf.TensorListReserve")
        if producer is None:
            return None
        with w.location, ir.InsertionPoint(w):
            if producer.name == "tf.TensorListFromTensor":
                tensor = producer.operands[0]
            else:
                tensor = self._reserve(w, producer, elem, written, bblock, ret)
                if tensor is None:
                    return None
        ttype = tensor.type
        # the loop: operand k is the tensor; result k, body and cond argument k take its type
        operands = list(w.operands)
        operands[k] = tensor
        rtypes = [r.type for r in w.results]
        rtypes[k] = ttype
        attrs = {w.attributes[i].name: w.attributes[i].attr for i in range(len(w.attributes))}
        with w.location, ir.InsertionPoint(w):
            new_w = ir.Operation.create("tf.While", results=rtypes, operands=operands, attributes=attrs)
        for old, repl in zip(list(w.results), new_w.results):
            if old is not w.results[k]:
                old.replace_all_uses_with(repl)
        for st in stack_users:
            st.result.replace_all_uses_with(new_w.results[k])
            st.erase()
        w.erase()
        while src is not None and not len(list(src.uses)):  # the list's producer (and Identity chain): dead now
            owner = b.defining_op(src)
            if owner is None:
                break
            nxt = owner.operands[0] if owner.name == "tf.Identity" else None
            owner.erase()
            src = nxt
        barg.set_type(ttype)
        cblock.arguments[k].set_type(ttype)
        self._rewrite_body(barg, ttype)
        for fn in (body, cond):
            blk = fn.regions[0].blocks[0]
            ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
            results = list(ftype.results)
            if fn is body:
                results[k] = ttype
            fn.attributes["function_type"] = ir.TypeAttr.get(
                ir.FunctionType.get([a.type for a in blk.arguments], results))
        return new_w

    def _reserve(self, w, reserve, elem, written, bblock, ret):
        """Fill([n, *element shape], 0); a dynamic element shape is taken at run time from a
        loop-carried value the loop writes: the body returns the written value at position j, and
        the loop's operand j has exactly the element type."""
        num = b.constant_value(reserve.operands[1])
        if num is None or num.size != 1:
            return None
        n = int(num.reshape(()))
        i32 = ir.IntegerType.get_signless(32)
        ttype = ir.RankedTensorType.get([n] + list(elem.shape), elem.element_type)

        def zero():
            return b.constant(np.zeros((), b.np_dtype(elem.element_type)), dialect="tf")
        if elem.has_static_shape or self.default_to_single_batch:
            # (single batch: the type keeps its unknown dims, so the loop's and its users' types stay)
            dims = [1 if d == ir.ShapedType.get_dynamic_size() else d for d in elem.shape]
            return b.tf("Fill", [b.constant(np.array([n] + dims, np.int32), dialect="tf"), zero()], ttype)
        if written is None:
            return None
        written = b.skip_identity(written)
        j = next((i for i, v in enumerate(ret.operands) if b.skip_identity(v) == written
                  and i < len(w.operands) and w.operands[i].type == elem), None)
        if j is None:
            return None
        shape = b.tf("Shape", [w.operands[j]], ir.RankedTensorType.get([elem.rank], i32))
        dims = b.tf("ConcatV2", [b.constant(np.array([n], np.int32), dialect="tf"), shape,
                                 b.constant(np.int32(0), dialect="tf")],
                    ir.RankedTensorType.get([elem.rank + 1], i32))
        return b.tf("Fill", [dims, zero()], ttype)

    def _write(self, buf: ir.Value, upd: ir.Value, i: ir.Value, ttype) -> ir.Value:
        """buf with upd ([1, *element]) at index i: DYNAMIC_UPDATE_SLICE, or slice + concat."""
        i32 = ir.IntegerType.get_signless(32)
        rank = len(ttype.shape)

        def vec(*parts):
            n = sum(ir.RankedTensorType(p.type).shape[0] for p in parts)
            return b.tf("ConcatV2", [*parts, b.constant(np.int32(0), dialect="tf")], ir.RankedTensorType.get([n], i32))

        def const(values):
            return b.constant(np.array(values, np.int32), dialect="tf")

        index = b.tf("Reshape", [i, const([1])], ir.RankedTensorType.get([1], i32))
        if self.enable_dynamic_update_slice:
            return b.tf("XlaDynamicUpdateSlice", [buf, upd, vec(index, const([0] * (rank - 1)))], ttype)
        dyn = ir.ShapedType.get_dynamic_size()
        part = ir.RankedTensorType.get([dyn] + list(ttype.shape[1:]), ttype.element_type)
        before = b.tf("Slice", [buf, const([0] * rank), vec(index, const([-1] * (rank - 1)))], part)
        after_start = b.tf("AddV2", [index, const([1])], ir.RankedTensorType.get([1], i32))
        after = b.tf("Slice", [buf, vec(after_start, const([0] * (rank - 1))), const([-1] * rank)], part)
        return b.tf("ConcatV2", [before, upd, after, b.constant(np.int32(0), dialect="tf")], ttype)

    def _rewrite_body(self, arg: ir.Value, ttype) -> None:
        cur = arg
        while True:
            nxt = None
            for u in _users(cur):
                if u.name == "tf.TensorListGetItem":
                    with u.location, ir.InsertionPoint(u):
                        g = b.tf("GatherV2", [cur, u.operands[1], b.constant(np.int32(0), dialect="tf")],
                                 u.result.type, batch_dims=b.i64_attr(0))
                    u.result.replace_all_uses_with(g)
                    u.erase()
                elif u.name == "tf.Identity":
                    u.result.replace_all_uses_with(cur)
                    u.erase()
                    nxt = cur
                    break
                elif u.name == "tf.TensorListSetItem":
                    item = u.operands[2]
                    index_value = b.constant_value(u.operands[1])
                    with u.location, ir.InsertionPoint(u):
                        it = ir.RankedTensorType(item.type)
                        upd = b.tf("ExpandDims", [item, b.constant(np.int32(0), dialect="tf")],
                                   ir.RankedTensorType.get([1] + list(it.shape), it.element_type))
                    if (ttype.shape[0] == 1 and upd.type == ttype and index_value is not None
                            and int(index_value.reshape(())) == 0):
                        # a one-element list written at 0 (an RNN's last output): the write is the list
                        u.result.replace_all_uses_with(upd)
                        u.erase()
                        nxt = upd
                        break
                    with u.location, ir.InsertionPoint(u):
                        out = self._write(cur, upd, u.operands[1], ttype)
                    u.result.replace_all_uses_with(out)
                    u.erase()
                    nxt = out
                    break
            if nxt is None:
                return
            cur = nxt
