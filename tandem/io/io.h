#pragma once
// Array files: NumPy's .npy and .npz, Hugging Face's .safetensors and
// ggml's .gguf, read and written the way MLX does (bfloat16 as the two-byte
// void type '<V2' in .npy, MLX's safetensors dtype names and string
// metadata, MLX's .gguf tensor and metadata types).
//
// Loading is eager host I/O: the arrays come back evaluated, in host memory
// that every device reads (unified memory), so they are usable on any stream.
// A malformed file raises std::invalid_argument (ValueError in Python) naming
// the file and what is wrong; a file that cannot be opened, read or written
// raises std::runtime_error.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "tandem/array.h"

namespace tandem::io {

// A source of bytes with random access; read() throws on a short read.
class Reader {
 public:
  virtual ~Reader() = default;
  virtual void read(void* dst, size_t n) = 0;
  virtual void seek(uint64_t pos) = 0;
  virtual uint64_t tell() const = 0;
  virtual uint64_t size() const = 0;
  // How errors name the source ("file 'w.npy'").
  virtual std::string label() const = 0;
  // Throws std::invalid_argument "[op] <label>: <what>".
  [[noreturn]] void fail(const char* op, const std::string& what) const;
};

class Writer {
 public:
  virtual ~Writer() = default;
  virtual void write(const void* src, size_t n) = 0;
  virtual uint64_t tell() const = 0;
  virtual std::string label() const = 0;
};

// A file on disk (throws std::runtime_error if it cannot be opened).
std::unique_ptr<Reader> open_reader(const std::string& path);
std::unique_ptr<Writer> open_writer(const std::string& path);
// Opens path, runs f(writer), closes it (a failed close throws).
void write_file(const std::string& path, const std::function<void(Writer&)>& f);
// Bytes in memory; the reader does not copy them (they must outlive it).
std::unique_ptr<Reader> memory_reader(const void* data, size_t n, std::string label);
// Appends to *out.
std::unique_ptr<Writer> memory_writer(std::string* out, std::string label);

using NamedArrays = std::vector<std::pair<std::string, array>>;
using Metadata = std::vector<std::pair<std::string, std::string>>;

// .npy: one array. Fortran-order and big-endian files load too.
array load_npy(Reader& r);
void save_npy(Writer& w, array a);

// .npz: a zip of .npy members (names without the ".npy"), stored or
// deflate-compressed. Members are returned in the archive's order.
NamedArrays load_npz(Reader& r);
void save_npz(Writer& w, const NamedArrays& arrays, bool compress);

// .safetensors: arrays by name plus string metadata ("__metadata__").
struct Safetensors {
  NamedArrays arrays;
  Metadata metadata;
};
Safetensors load_safetensors(Reader& r);
void save_safetensors(Writer& w, const NamedArrays& arrays, const Metadata& metadata = {});

// .gguf (ggml's format, versions 2 and 3): unquantized tensors by name and
// typed metadata. A metadata value is a 0-d array (a typed scalar), a 1-d
// array, a string or a list of strings. Quantized tensors (Q4_0 and the
// like) raise an error naming their type. save_gguf writes what MLX writes:
// float32, float16, int8, int16 and int32 arrays (sorted by name, 32-byte
// aligned) and metadata arrays of integers, float32, float64 or bool.
using GGUFValue = std::variant<array, std::string, std::vector<std::string>>;
using GGUFMetadata = std::vector<std::pair<std::string, GGUFValue>>;
struct GGUF {
  NamedArrays arrays;
  GGUFMetadata metadata;
};
GGUF load_gguf(Reader& r);
void save_gguf(Writer& w, const NamedArrays& arrays, const GGUFMetadata& metadata = {});

// The unevaluated graph behind outputs in Graphviz's DOT language: arrays as
// named points (names[id] where given, else A, B, ...; inputs at the top,
// outputs at the bottom), primitives as boxes with edges from their inputs
// and to their outputs. Evaluated arrays end the walk.
std::string graph_to_dot(const std::vector<array>& outputs,
                         const std::vector<std::pair<uintptr_t, std::string>>& names = {});

}  // namespace tandem::io

namespace tandem {

// Path conveniences with MLX's names. save appends ".npy", savez ".npz" and
// save_safetensors ".safetensors" when the path lacks that extension.
void save(std::string path, array a);
array load(const std::string& path);  // a .npy file
void savez(std::string path, const io::NamedArrays& arrays, bool compress = false);
io::NamedArrays load_npz(const std::string& path);
void save_safetensors(std::string path, const io::NamedArrays& arrays,
                      const io::Metadata& metadata = {});
io::Safetensors load_safetensors(const std::string& path);
// save_gguf appends ".gguf" when the path lacks it.
void save_gguf(std::string path, const io::NamedArrays& arrays,
               const io::GGUFMetadata& metadata = {});
io::GGUF load_gguf(const std::string& path);

}  // namespace tandem
