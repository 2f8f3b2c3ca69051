"""Writing response values as XML (root named after the schema, repeated elements for arrays) and reading XML bodies."""
from __future__ import annotations

import functools
import math
import re
import unicodedata
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from .spec import declared_type, follow_refs, ref_name

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_NAME_OK = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*\Z")
# .NET DataContract names for scalars, so `<int>5</int>` looks like what the real API sends.
_SCALAR_NAMES = {"integer": "int", "number": "double", "boolean": "boolean", "string": "string", "null": "nil"}

Writer = Callable[[list[str], str, Any], None]


@functools.lru_cache(maxsize=4096)
def _is_xml_name(name: str) -> bool:
    """Whether every XML parser takes `name` as an element name: letters (any script), then letters, digits,
    combining marks, `_`, `-`, `.` (XML 1.0's first rules, which expat keeps: `²` and `Ⅰ` are no letters)."""
    if not name or name.lower().startswith("xml"):
        return False
    if name.isascii():
        return bool(_NAME_OK.match(name))
    return (name[0] == "_" or unicodedata.category(name[0]).startswith("L")) and all(
        c in "_-." or unicodedata.category(c)[0] == "L" or unicodedata.category(c) in ("Nd", "Mn", "Mc")
        for c in name[1:])


def _xml_name(name: str) -> str:
    return name if _is_xml_name(name) else "item"


# Characters XML 1.0 cannot hold, even escaped: text from a client (a stored name, a filter's value) may have them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _text(value: Any) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    text = str(value)
    return escape(text if text.isprintable() else _clean(text))


class XmlWriter:
    """Compiles a schema once into a writer closure; `dumps` names the root after the schema or carrier."""

    def __init__(self, doc: Mapping[str, Any]) -> None:
        self.doc = doc
        self._cache: dict[int, tuple[Any, Writer]] = {}
        # Values that live as long as the app and are never changed (the generated carriers' variants, by id):
        # each is written once where it appears (per property of a writer, per array writer), then copied as text.
        self.shared: set[int] = set()

    @staticmethod
    def _remember(texts: dict[Any, str], key: Any, writer: Writer, tag: str, value: Any) -> str:
        inner: list[str] = []
        writer(inner, tag, value)
        text = texts[key] = "".join(inner)
        return text

    def root_name(self, schema: Any) -> str:
        schema = schema if isinstance(schema, Mapping) else {}
        xml = schema.get("xml")
        if isinstance(xml, Mapping) and isinstance(xml.get("name"), str):
            return _xml_name(xml["name"])
        if isinstance(schema.get("$ref"), str):
            return _xml_name(ref_name(schema["$ref"]))
        resolved = self._resolve(schema)
        kind = _kind(resolved)
        if kind == "array":
            return "ArrayOf" + _item_name(self._item_schema(resolved), self)
        if kind == "object":
            title = resolved.get("title")
            return _xml_name(title) if isinstance(title, str) else "Response"
        return _SCALAR_NAMES.get(kind, "value")

    def dumps(self, schema: Any, value: Any) -> bytes:
        out = ['<?xml version="1.0" encoding="utf-8"?>']
        self.writer(schema)(out, self.root_name(schema), value, f' xmlns:i="{XSI}"')  # type: ignore[call-arg]
        return "".join(out).encode()

    def _resolve(self, schema: Any) -> Mapping[str, Any]:
        schema = follow_refs(self.doc, schema)
        if isinstance(schema, Mapping):
            for key in ("anyOf", "oneOf"):
                branches = schema.get(key)
                if isinstance(branches, list):
                    for b in branches:
                        rb = self._resolve(b)
                        if _kind(rb) != "null":
                            return rb
            if isinstance(schema.get("allOf"), list) and schema["allOf"]:
                props: dict[str, Any] = {}
                for b in schema["allOf"]:
                    props.update(self._resolve(b).get("properties") or {})
                return {"type": "object", "properties": {**props, **(schema.get("properties") or {})}}
            return schema
        return {}

    def _item_schema(self, schema: Mapping[str, Any]) -> Any:
        return schema.get("items", {})

    def writer(self, schema: Any) -> Callable[..., None]:
        key = id(schema)
        hit = self._cache.get(key)
        if hit is not None:
            return hit[1]
        holder: list[Callable[..., None]] = []
        self._cache[key] = (schema, lambda *a: holder[0](*a))  # recursion guard for self-referencing schemas
        resolved = self._resolve(schema)
        kind = _kind(resolved)
        if kind == "object":
            fn = self._object(resolved)
        elif kind == "array":
            fn = self._array(resolved)
        else:
            fn = _scalar
        holder.append(fn)
        self._cache[key] = (schema, fn)
        return fn

    def _object(self, schema: Mapping[str, Any]) -> Callable[..., None]:
        props = schema.get("properties") if isinstance(schema.get("properties"), Mapping) else {}
        children = {k: self.writer(v) for k, v in props.items()}
        addl = schema.get("additionalProperties")
        addl_writer = self.writer(addl) if isinstance(addl, Mapping) else _generic
        # Per declared property, worked out once: whether its name is an XML name, whether its writer is the
        # scalar one (written inline below: most of a record's values are scalars), and the text of the shared
        # values written under it.
        declared = {k: (w, w is _scalar, _is_xml_name(k), {}) for k, w in children.items()}
        addl_texts: dict[Any, str] = {}  # additional properties' shared values, by (id, key)
        shared, remember = self.shared, self._remember

        def write(out: list[str], tag: str, value: Any, attrs: str = "") -> None:
            if value is None:
                out.append(f'<{tag}{attrs} i:nil="true"/>')
                return
            if type(value) is not dict and not isinstance(value, Mapping):
                _scalar(out, tag, value, attrs)
                return
            append = out.append
            append(f"<{tag}{attrs}>")
            for k, v in value.items():
                entry = declared.get(k)
                if entry is None:
                    w, scalar, name_ok, texts = addl_writer, addl_writer is _scalar, _is_xml_name(k), addl_texts
                else:
                    w, scalar, name_ok, texts = entry
                if not name_ok:
                    # Dictionary keys need not be XML names: carry them in an attribute instead.
                    inner: list[str] = []
                    w(inner, "item", v)
                    out.append(inner[0].replace("<item", f"<item key={quoteattr(_clean(k))}", 1))
                    out.extend(inner[1:])
                elif not scalar:
                    if id(v) in shared:
                        key = id(v) if entry is not None else (id(v), k)
                        append(texts.get(key) or remember(texts, key, w, k, v))
                    else:
                        w(out, k, v)
                elif type(v) is str:
                    if not v.isprintable():  # a quick test: what XML cannot hold is never printable
                        v = _clean(v)
                    append(f"<{k}>{v.replace('&', '&amp;').replace('>', '&gt;').replace('<', '&lt;')}</{k}>")
                elif v is None:
                    append(f'<{k} i:nil="true"/>')
                elif v is True or v is False:
                    append(f"<{k}>{'true' if v else 'false'}</{k}>")
                elif type(v) is int or type(v) is float:
                    append(f"<{k}>{v}</{k}>")
                else:
                    _scalar(out, k, v)
            append(f"</{tag}>")
        return write

    def _array(self, schema: Mapping[str, Any]) -> Callable[..., None]:
        items = self._item_schema(schema)
        item_writer = self.writer(items)
        item_tag = _item_name(items, self)
        shared, remember = self.shared, self._remember
        texts: dict[Any, str] = {}  # the shared items' text, by id

        def write(out: list[str], tag: str, value: Any, attrs: str = "") -> None:
            if value is None:
                out.append(f'<{tag}{attrs} i:nil="true"/>')
                return
            out.append(f"<{tag}{attrs}>")
            for v in value if isinstance(value, list) else (value,):
                if id(v) in shared:
                    out.append(texts.get(id(v)) or remember(texts, id(v), item_writer, item_tag, v))
                else:
                    item_writer(out, item_tag, v)
            out.append(f"</{tag}>")
        return write


def _item_name(items: Any, w: XmlWriter) -> str:
    if isinstance(items, Mapping):
        xml = items.get("xml")
        if isinstance(xml, Mapping) and isinstance(xml.get("name"), str):
            return _xml_name(xml["name"])
        if isinstance(items.get("$ref"), str):
            return _xml_name(ref_name(items["$ref"]))
        for key in ("anyOf", "oneOf", "allOf"):
            for b in items.get(key) or ():
                if isinstance(b, Mapping) and isinstance(b.get("$ref"), str):
                    return _xml_name(ref_name(b["$ref"]))
        kind = _kind(w._resolve(items))
        if kind in _SCALAR_NAMES:
            return _SCALAR_NAMES[kind]
    return "item"


def _kind(schema: Mapping[str, Any]) -> str:
    t = declared_type(schema, all_null="null")
    if t is not None:
        return t
    if "properties" in schema or "additionalProperties" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "any"


def _scalar(out: list[str], tag: str, value: Any, attrs: str = "") -> None:
    if value is None:
        out.append(f'<{tag}{attrs} i:nil="true"/>')
    elif isinstance(value, (Mapping, list)):
        _generic(out, tag, value, attrs)
    else:
        out.append(f"<{tag}{attrs}>{_text(value)}</{tag}>")


def _generic(out: list[str], tag: str, value: Any, attrs: str = "") -> None:
    """Schema-less values (free-form objects): keys become elements, lists repeat `item`."""
    if isinstance(value, Mapping):
        out.append(f"<{tag}{attrs}>")
        for k, v in value.items():
            _generic(out, _xml_name(k), v)
        out.append(f"</{tag}>")
    elif isinstance(value, list):
        out.append(f"<{tag}{attrs}>")
        for v in value:
            _generic(out, "item", v)
        out.append(f"</{tag}>")
    else:
        _scalar(out, tag, value, attrs)


# -- reading ---------------------------------------------------------------------------------------


class XmlBodyError(ValueError):
    pass


MAX_XML_DEPTH = 200  # far beyond any real document; Python's stack holds about twice that


def parse_xml(data: bytes, schema: Any, reader: XmlWriter) -> Any:
    """Parse an XML request body into a JSON-like value, guided by the schema's types."""
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise XmlBodyError("DTDs and entities are not accepted")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        # A top-level list often arrives as sibling elements without a wrapper; accept that form too.
        body = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", data)
        try:
            root = ET.fromstring(b"<list>" + body + b"</list>")
        except ET.ParseError:
            raise XmlBodyError(f"malformed XML: {exc}") from exc
    if _deeper_than(root, MAX_XML_DEPTH):  # read element by element below, which would overflow Python's stack
        raise XmlBodyError(f"the XML is nested more than {MAX_XML_DEPTH} elements deep")
    return _from_element(root, schema, reader)


def _deeper_than(root: ET.Element, limit: int) -> bool:
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in element)
    return False


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _from_element(el: ET.Element, schema: Any, reader: XmlWriter) -> Any:
    if el.get(f"{{{XSI}}}nil") == "true":
        return None
    if not len(el) and (el.text or "").strip() in ("", "null") and _allows_null(schema, reader):
        return None
    resolved = reader._resolve(schema) if schema is not None else {}
    kind = _kind(resolved)
    if kind in ("object", "array") and not len(el) and (el.text or "").strip():
        return (el.text or "").strip()  # text where structure belongs: hand it to validation as is
    if kind == "object":
        props = resolved.get("properties") or {}
        out: dict[str, Any] = {}
        repeated: set[str] = set()
        for child in el:
            name = _local(child.tag)
            key = name  # XML names are case-sensitive, like JSON keys
            sub = props.get(key, resolved.get("additionalProperties") if isinstance(
                resolved.get("additionalProperties"), Mapping) else None)
            if sub is None and not len(child) and not (child.text or "").strip():
                continue  # empty, and nothing says what it is: "", null, {} and [] all look like this
            value = _from_element(child, sub, reader)
            if key in out:  # a repeated element is how XML spells a list
                prev = out[key]
                out[key] = [*prev, value] if isinstance(prev, list) and key in repeated else [prev, value]
                repeated.add(key)
            else:
                out[key] = value
        return out
    if kind == "array":
        return [_from_element(child, resolved.get("items"), reader) for child in el]
    text = (el.text or "").strip()
    if kind == "any" and len(el):
        return {_local(c.tag): _from_element(c, None, reader) for c in el}
    return coerce_scalar(text, kind)


def _allows_null(schema: Any, reader: XmlWriter) -> bool:
    schema = follow_refs(reader.doc, schema)
    if not isinstance(schema, Mapping):
        return False
    t = schema.get("type")
    if t == "null" or (isinstance(t, list) and "null" in t):
        return True
    return any(_allows_null(b, reader) for key in ("anyOf", "oneOf") for b in schema.get(key) or ())


_INTEGER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)")
_NUMBER_TEXT = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


_DIGITS = re.compile(r"[+-]?[0-9]+")
_MAX_DIGITS = 300  # past this a numeral stays text: Python refuses to read integers of more than 4,300 digits


def _numeral(text: str) -> Any:
    """The JSON number `text` is, else `text` itself."""
    if len(text) > _MAX_DIGITS:
        return text
    if _INTEGER_TEXT.fullmatch(text):
        return int(text)
    if _NUMBER_TEXT.fullmatch(text):
        number = float(text)
        return number if math.isfinite(number) else text
    return text


def coerce_scalar(text: str, kind: str | None) -> Any:
    """Best-effort text -> typed value; leaves the text alone when it does not parse, so validation reports it.
    Where the schema says nothing (`kind` None or "any": a property the docs never described), the text is
    read as a JSON literal would be, `true` a boolean and `12` a number: the server's class knows its type,
    and a flag remembered as the text "true" would answer as a string where every client expects a boolean."""
    if kind is None or kind == "any":
        if text in ("true", "false"):
            return text == "true"
        return _numeral(text)
    if kind in ("integer", "number"):
        # JSON's numerals only: Python would also read `1_000`, `NaN`, `inf` and digits of other scripts, and a
        # NaN stored from a body would be answered as null.
        text = text.strip()
        if _DIGITS.fullmatch(text) and len(text) <= _MAX_DIGITS:
            return int(text)  # `007` and `+7` too, as the server's number parsing reads them
        number = _numeral(text)
        if kind == "integer" and isinstance(number, float) and number.is_integer() and "." not in text \
                and "e" not in text.lower():
            return int(number)
        return number
    if kind == "boolean":
        return {"true": True, "false": False}.get(text.lower(), text)
    if kind == "null" and text == "":
        return None
    return text
