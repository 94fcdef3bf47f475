#pragma once
// The pieces of export_function's file format (tandem/export.h) shared by
// the graph (tandem/transforms/compile.cpp) and the primitives
// (tandem/io/export_primitives.cpp): little-endian values appended to a
// string, and read back from bytes with every read bounds-checked.
#include <climits>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tandem/array.h"
#include "tandem/primitive.h"

namespace tandem::io::detail {

class ByteWriter {
 public:
  explicit ByteWriter(std::string& out) : out_(out) {}
  void raw(const void* p, size_t n) { out_.append(static_cast<const char*>(p), n); }
  void u8(uint8_t v) { raw(&v, 1); }
  void u32(uint32_t v) { le(v); }
  void i32(int32_t v) { le(static_cast<uint32_t>(v)); }
  void i64(int64_t v) { le(static_cast<uint64_t>(v)); }
  void u64(uint64_t v) { le(v); }
  void f64(double v) {
    uint64_t b;
    std::memcpy(&b, &v, 8);
    le(b);
  }
  void f32(float v) {
    uint32_t b;
    std::memcpy(&b, &v, 4);
    le(b);
  }
  void str(const std::string& s) {
    u64(s.size());
    raw(s.data(), s.size());
  }
  void ints(const std::vector<int>& v) {
    u32(static_cast<uint32_t>(v.size()));
    for (int x : v) i32(x);
  }
  void shape(const Shape& s) {
    u32(static_cast<uint32_t>(s.size()));
    for (auto d : s) i64(d);
  }
  void strides(const Strides& s) {
    u32(static_cast<uint32_t>(s.size()));
    for (auto d : s) i64(d);
  }
  void dtype(Dtype t) { u8(static_cast<uint8_t>(t.index())); }

 private:
  template <typename T>
  void le(T v) {
    char b[sizeof(T)];
    for (size_t i = 0; i < sizeof(T); ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    raw(b, sizeof(T));
  }
  std::string& out_;
};

// Reads what ByteWriter wrote; any inconsistency throws std::invalid_argument
// "[import_function] <label>: <what>".
class ByteReader {
 public:
  ByteReader(const char* data, size_t n, std::string label)
      : p_(data), n_(n), label_(std::move(label)) {}
  [[noreturn]] void fail(const std::string& what) const;
  size_t left() const { return n_ - pos_; }
  size_t pos() const { return pos_; }
  const char* here() const { return p_ + pos_; }
  const std::string& label() const { return label_; }
  void skip(size_t n) {
    need(n);
    pos_ += n;
  }
  void raw(void* dst, size_t n) {
    need(n);
    std::memcpy(dst, p_ + pos_, n);
    pos_ += n;
  }
  uint8_t u8() { return static_cast<uint8_t>(le<uint8_t>()); }
  uint32_t u32() { return le<uint32_t>(); }
  int32_t i32() { return static_cast<int32_t>(le<uint32_t>()); }
  int64_t i64() { return static_cast<int64_t>(le<uint64_t>()); }
  uint64_t u64() { return le<uint64_t>(); }
  bool boolean() {
    uint8_t v = u8();
    if (v > 1) fail("a flag holds " + std::to_string(v));
    return v != 0;
  }
  double f64() {
    uint64_t b = le<uint64_t>();
    double v;
    std::memcpy(&v, &b, 8);
    return v;
  }
  float f32() {
    uint32_t b = le<uint32_t>();
    float v;
    std::memcpy(&v, &b, 4);
    return v;
  }
  std::string str() {
    uint64_t n = u64();
    need(n);
    std::string s(p_ + pos_, n);
    pos_ += n;
    return s;
  }
  // A count of items of at least `unit` bytes each: never more than the
  // bytes left could hold (so a corrupt count cannot make a huge vector).
  uint32_t count(size_t unit = 1) {
    uint32_t n = u32();
    if (static_cast<uint64_t>(n) * unit > left())
      fail("a count (" + std::to_string(n) + ") runs past the end");
    return n;
  }
  std::vector<int> ints() {
    std::vector<int> v(count(4));
    for (auto& x : v) x = i32();
    return v;
  }
  Shape shape() { return shape_of(0, "a dimension is "); }
  // Shape-typed values that may be negative (slice steps).
  Shape signed_shape() { return shape_of(INT32_MIN, "a value is "); }
  Shape shape_of(int64_t lo, const char* what) {
    uint32_t n = count(8);
    if (n > 64) fail("a shape has " + std::to_string(n) + " dimensions");
    Shape s;
    for (uint32_t i = 0; i < n; ++i) {
      int64_t d = i64();
      if (d < lo || d > INT32_MAX) fail(what + std::to_string(d));
      s.push_back(static_cast<ShapeElem>(d));
    }
    return s;
  }
  Strides strides() {
    uint32_t n = count(8);
    if (n > 64) fail("strides have " + std::to_string(n) + " entries");
    Strides s;
    for (uint32_t i = 0; i < n; ++i) s.push_back(i64());
    return s;
  }
  Dtype dtype() {
    uint8_t v = u8();
    if (v >= Dtype::num_types) fail("unknown dtype code " + std::to_string(v));
    return Dtype(static_cast<Dtype::Val>(v));
  }

 private:
  void need(uint64_t n) const {
    if (n > left())
      fail("the file is truncated (" + std::to_string(n) + " bytes needed, " +
           std::to_string(left()) + " left)");
  }
  template <typename T>
  T le() {
    need(sizeof(T));
    T v = 0;
    for (size_t i = 0; i < sizeof(T); ++i) {
      v |= static_cast<T>(static_cast<uint8_t>(p_[pos_ + i])) << (8 * i);
    }
    pos_ += sizeof(T);
    return v;
  }
  const char* p_;
  size_t n_;
  size_t pos_ = 0;
  std::string label_;
};

// A primitive as its name, its device and its parameters. Throws
// std::invalid_argument "[export_function] cannot export <name> ..." for
// primitives that hold code (custom functions, Python callbacks) or that
// only eval makes (Fused).
void save_primitive(ByteWriter& w, const Primitive& p);
// Rebuilds a primitive on the importing thread's default stream of its
// device (the CPU's when the saved device is a GPU this process lacks).
std::shared_ptr<Primitive> load_primitive(ByteReader& r);

}  // namespace tandem::io::detail
