"""Option values coerced without pydantic.

Typer turns each option's value into its annotated type through a pydantic
``TypeAdapter`` it builds on first use: importing pydantic and building the
adapters of a command costs about a quarter of a second on every run, more
than a no-op push spends on its own work. The options of this command line
are plain: strings, flags, paths, choices, numbers in a range and lists of
those. For those the coercion here does what typer's adapters
do (the same values, the same messages); anything else (a bounded number,
a parser, a file) is left to typer. If typer's internals are not the ones
this was written against, nothing is changed.
"""

from __future__ import annotations

import enum
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

_INSTALLED = False


def install() -> None:
    """Give typer's parameters the coercion below where it applies."""
    global _INSTALLED
    if _INSTALLED:
        return
    try:
        from typer import _coercion, _param_types, core
        from typer._click.exceptions import BadParameter

        base = _coercion.RuntimeParam
        parameter = core._TyperParameter
        build = _coercion.build_runtime_param
        coerce_path = _param_types.coerce_cli_path
        coerce_choice = _param_types.coerce_cli_choice
        routes_to_path = _param_types.routes_to_path
        parameter.get_runtime_param  # noqa: B018 (present in the typer this was written against)
    except (ImportError, AttributeError):
        return

    @dataclass(frozen=True)
    class Plain(base):  # type: ignore[misc, valid-type]
        convert: Callable[[Any, Any, Any], Any] = None  # type: ignore[assignment]

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            return self.convert(value, param, ctx)

    def leaf(annotation: Any, info: Any) -> Callable[[Any, Any, Any], Any] | None:
        if annotation is str:
            return lambda v, param, ctx: v if isinstance(v, str) else _text(v)
        if annotation is bool:
            return lambda v, param, ctx: v if isinstance(v, bool) else _flag(v, param, ctx, BadParameter)
        if annotation in (int, float):
            return lambda v, param, ctx: _bounded(_number(annotation, v, param, ctx, BadParameter), annotation,
                                                  info, param, ctx, BadParameter)
        if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
            choices = list(annotation)

            def choice(v: Any, param: Any, ctx: Any) -> Any:
                try:
                    return coerce_choice(v, choices=choices, case_sensitive=info.case_sensitive, ctx=ctx)
                except ValueError as e:
                    raise BadParameter(f"Value error, {e}", ctx=ctx, param=param) from None
            return choice
        if routes_to_path(annotation, info):
            path_type = info.path_type
            if path_type is None and isinstance(annotation, type) and issubclass(annotation, Path):
                path_type = annotation
            if path_type is not None and not (path_type in (str, bytes)
                                              or isinstance(path_type, type) and issubclass(path_type, Path)):
                return None

            def path(v: Any, param: Any, ctx: Any) -> Any:
                if isinstance(v, str) and isinstance(path_type, type) and issubclass(path_type, Path):
                    v = path_type(v)
                return coerce_path(v, info, path_type=path_type, param=param, ctx=ctx)
            return path
        return None

    def fast(descriptor: Any) -> Any:
        info, annotation = descriptor.parameter_info, descriptor.annotation
        if descriptor.file_annotation is not None or info.parser is not None:
            return None
        if typing.get_origin(annotation) is list:
            args = typing.get_args(annotation)
            one = leaf(args[0], info) if len(args) == 1 else None
            if one is None:
                return None
            convert = (lambda v, param, ctx: [one(x, param, ctx) for x in (v if isinstance(v, (list, tuple)) else [v])])
        else:
            convert = leaf(annotation, info)
            if convert is None:
                return None
        return Plain(parameter_info=info, annotation=annotation, convert=convert)

    def get_runtime_param(self: Any) -> Any:
        if self._runtime_param is None:
            self._runtime_param = fast(self.type_descriptor) or build(self.type_descriptor)

        return self._runtime_param

    parameter.get_runtime_param = get_runtime_param
    _INSTALLED = True


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


_TRUE = {"1", "on", "t", "true", "y", "yes"}
_FALSE = {"0", "off", "f", "false", "n", "no", ""}


def _flag(value: Any, param: Any, ctx: Any, error: type) -> bool:
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise error("Input should be a valid boolean, unable to interpret input", ctx=ctx, param=param)


def _bounded(number: Any, kind: type, info: Any, param: Any, ctx: Any, error: type) -> Any:
    """``min``/``max`` as pydantic checks them: the upper bound first, and a
    NaN fails whichever bound there is."""
    low, high = info.min, info.max
    if info.clamp:
        return kind(low) if low is not None and number < low else kind(high) if high is not None and number > high \
            else number
    if high is not None and not number <= high:
        raise error(f"Input should be less than or equal to {high}", ctx=ctx, param=param)
    if low is not None and not number >= low:
        raise error(f"Input should be greater than or equal to {low}", ctx=ctx, param=param)
    return number


_INT = re.compile(r"[+-]?[0-9]+(?:_[0-9]+)*(?:\.0*)?")  # what pydantic reads as an integer
_FLOAT = re.compile(r"[0-9eE+\-._]+|[+-]?(?:inf|infinity|nan)", re.IGNORECASE)


def _number(kind: type, value: Any, param: Any, ctx: Any, error: type) -> Any:
    if isinstance(value, kind) and not isinstance(value, bool):
        return value
    text = str(value).strip()
    if kind is int:
        if _INT.fullmatch(text):
            return int(text.split(".", 1)[0])
        raise error("Input should be a valid integer, unable to parse string as an integer", ctx=ctx, param=param)
    if _FLOAT.fullmatch(text):
        try:
            return float(text)
        except ValueError:
            pass
    raise error("Input should be a valid number, unable to parse string as a number", ctx=ctx, param=param)
