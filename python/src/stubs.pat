# Patterns for nanobind's stub generator (python -m nanobind.stubgen -p FILE),
# applied by python/src/CMakeLists.txt (and tests/python/test_typing.py) when
# they write tandem/core/*.pyi. A pattern is a regular expression matched
# against a qualified name; its indented lines replace that name's stub.
#
# tandem.core.array's operators are CPython type slots (for speed), which
# the generator sees without types; these give them the types of the
# functions they call.

tandem\.core\.__prefix__:
    \from typing import Any
    \from collections.abc import Sequence
    # What the functions accept where they take an array.
    _ArrayLike = array | bool | int | float | complex | list[Any] | tuple[Any, ...] | numpy.ndarray
    # The left operands that reach an array's reflected operators (x.__radd__):
    # an array or a NumPy array on the left handles the operation itself.
    _ScalarLike = bool | int | float | complex | list[Any] | tuple[Any, ...]

tandem\.core\.array\.__((?:i)?(?:add|sub|mul|truediv|floordiv|mod|matmul|and|or|xor|lshift|rshift|pow))__$:
    def __\1__(self, other: _ArrayLike, /) -> array: ...

tandem\.core\.array\.__(r(?:add|sub|truediv|floordiv|mod|matmul|and|or|xor|lshift|rshift|pow))__$:
    def __\1__(self, other: _ScalarLike, /) -> array: ...

# [1, 2] * x repeats the list when x converts to an index (list.__mul__ runs first).
tandem\.core\.array\.__rmul__$:
    def __rmul__(self, other: bool | int | float | complex, /) -> array: ...

tandem\.core\.array\.__(lt|le|gt|ge)__$:
    def __\1__(self, other: _ArrayLike, /) -> array: ...

# Elementwise, so not the bool of object.__eq__.
tandem\.core\.array\.__(eq|ne)__$:
    def __\1__(self, other: object, /) -> array: ...  # type: ignore[override]

tandem\.core\.array\.__(neg|pos|abs|invert)__$:
    def __\1__(self, /) -> array: ...

# Functions whose C++ signature holds untyped Python objects (a list, a
# tuple, a dict, *args): their element types.

tandem\.core\.array\.shape$:
    @property
    def shape(self) -> tuple[int, ...]:
        \doc

tandem\.core\.\w+\.(__reduce__|__getstate__|__dlpack_device__)$:
    def \1(self) -> tuple[Any, ...]:
        \doc

tandem\.core\._PrintOptionsContext\.__exit__$:
    def __exit__(self, *args: object) -> None: ...

tandem\.core\.custom_function\.__call__$:
    def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

tandem\.core\.divmod$:
    def divmod(a: _ArrayLike, b: _ArrayLike, *, stream: Stream | Device | DeviceType | None = None) -> tuple[array, array]:
        \doc

tandem\.core\.broadcast_arrays$:
    def broadcast_arrays(*arrays: _ArrayLike, stream: Stream | Device | DeviceType | None = None) -> list[array]:
        \doc

tandem\.core\.broadcast_shapes$:
    def broadcast_shapes(*shapes: Sequence[int]) -> tuple[int, ...]:
        \doc

tandem\.core\.(atleast_[123]d)$:
    def \1(*arys: _ArrayLike, stream: Stream | Device | DeviceType | None = None) -> array | list[array]:
        \doc

tandem\.core\.result_type$:
    def result_type(*arrays_and_dtypes: _ArrayLike | Dtype) -> Dtype:
        \doc

tandem\.core\.split$:
    def split(a: _ArrayLike, indices_or_sections: int | Sequence[int], axis: int = 0, *, stream: Stream | Device | DeviceType | None = None) -> list[array]:
        \doc

tandem\.core\.unstack$:
    def unstack(a: _ArrayLike, axis: int = 0, *, stream: Stream | Device | DeviceType | None = None) -> list[array]:
        \doc

tandem\.core\.meshgrid$:
    def meshgrid(*arrays: _ArrayLike, sparse: bool = False, indexing: str = 'xy', stream: Stream | Device | DeviceType | None = None) -> list[array]:
        \doc

tandem\.core\.einsum$:
    def einsum(subscripts: str, *operands: _ArrayLike, stream: Stream | Device | DeviceType | None = None) -> array:
        \doc

tandem\.core\.quantize$:
    def quantize(w: _ArrayLike, group_size: int | None = None, bits: int | None = None, mode: str = 'affine', *, global_scale: object | None = None, stream: Stream | Device | DeviceType | None = None) -> tuple[array, ...]:
        \doc

tandem\.core\.export_to_dot$:
    def export_to_dot(file: object, *args: Any, **kwargs: Any) -> None:
        \doc

tandem\.core\.(savez|savez_compressed)$:
    def \1(file: object, *args: _ArrayLike, **kwargs: _ArrayLike) -> None:
        \doc

tandem\.core\.save_safetensors$:
    def save_safetensors(file: object, arrays: dict[str, array], metadata: dict[str, str] | None = None) -> None:
        \doc

tandem\.core\.save_gguf$:
    def save_gguf(file: object, arrays: dict[str, array], metadata: dict[str, array | str | list[str]] | None = None) -> None:
        \doc

# A Python scalar, or nested lists of them, as NumPy types them.
tandem\.core\.array\.(item|tolist)$:
    def \1(self) -> Any:
        \doc

tandem\.core\._ArrayIterator\.__iter__$:
    def __iter__(self) -> _ArrayIterator: ...
