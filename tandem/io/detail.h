#pragma once
// Pieces the file formats share (internal to tandem/io).
#include <string>
#include <vector>

#include "tandem/io/io.h"

namespace tandem::io::detail {

// Reads an array of `shape` and dtype t stored at the reader's position:
// checks that the source holds its bytes before allocating, swaps byte order
// when `swap`, and lays the data out column-major when `fortran`. The result
// is evaluated.
array read_array(Reader& r, const Shape& shape, Dtype t, bool swap, bool fortran, const char* op);

// a's elements in row-major order: a pointer into a's own buffer when it is
// row-contiguous, else into *tmp. Evaluates a.
const void* row_major_bytes(array& a, std::vector<char>* tmp);

// msg with control characters and malformed UTF-8 escaped (\\xNN), for
// errors that quote bytes of a file.
std::string printable(const std::string& msg);

// Whether s is well-formed UTF-8.
bool valid_utf8(const std::string& s);

// Checks a declared dimension and returns it as a ShapeElem.
ShapeElem checked_dim(const Reader& r, const char* op, uint64_t d);

}  // namespace tandem::io::detail
