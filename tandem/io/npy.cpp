// NumPy's .npy format: a magic string, a version, a header that is a Python
// dict literal ({'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), })
// padded with spaces to a multiple of 64 bytes, then the raw data.
#include <cctype>
#include <cstring>
#include <string>
#include <vector>

#include "tandem/io/detail.h"

namespace tandem::io {

namespace {

constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicLen = 6;
constexpr uint32_t kMaxHeader = 1u << 20;  // far above any real header

// Parses the header dict; fail()s on anything it does not understand.
class HeaderParser {
 public:
  HeaderParser(const Reader& r, const std::string& s) : r_(r), s_(s) {}

  void parse(std::string* descr, bool* fortran, std::vector<uint64_t>* shape) {
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_ws();
      if (peek() == '}') break;
      std::string key = string_lit();
      expect(':');
      skip_ws();
      if (key == "descr") {
        if (peek() != '\'' && peek() != '"') {
          bad("unsupported 'descr' (structured dtypes are not supported)");
        }
        *descr = string_lit();
        have_descr = true;
      } else if (key == "fortran_order") {
        *fortran = boolean();
        have_order = true;
      } else if (key == "shape") {
        *shape = int_tuple();
        have_shape = true;
      } else {
        bad("unexpected key '" + key + "'");
      }
      skip_ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      skip_ws();
      if (peek() != '}') bad("expected ',' or '}'");
    }
    if (!have_descr || !have_order || !have_shape) {
      bad("the header must have the keys 'descr', 'fortran_order' and 'shape'");
    }
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    r_.fail("load", "invalid .npy header: " + what + " in " + printable());
  }
  std::string printable() const {
    std::string out = "\"";
    for (char c : s_.substr(0, 200)) {
      out += std::isprint(static_cast<unsigned char>(c)) ? c : '?';
    }
    return out + (s_.size() > 200 ? "...\"" : "\"");
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  void skip_ws() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  void expect(char c) {
    skip_ws();
    if (peek() != c) bad(std::string("expected '") + c + "'");
    ++i_;
  }
  std::string string_lit() {
    skip_ws();
    char q = peek();
    if (q != '\'' && q != '"') bad("expected a string");
    size_t end = s_.find(q, i_ + 1);
    if (end == std::string::npos) bad("unterminated string");
    std::string out = s_.substr(i_ + 1, end - i_ - 1);
    i_ = end + 1;
    return out;
  }
  bool boolean() {
    if (s_.compare(i_, 4, "True") == 0) {
      i_ += 4;
      return true;
    }
    if (s_.compare(i_, 5, "False") == 0) {
      i_ += 5;
      return false;
    }
    bad("'fortran_order' must be True or False");
  }
  std::vector<uint64_t> int_tuple() {
    expect('(');
    std::vector<uint64_t> out;
    while (true) {
      skip_ws();
      if (peek() == ')') break;
      if (!std::isdigit(static_cast<unsigned char>(peek()))) bad("expected a dimension");
      uint64_t v = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        if (v > (UINT64_MAX - 9) / 10) bad("dimension too large");
        v = v * 10 + static_cast<uint64_t>(s_[i_++] - '0');
      }
      if (peek() == 'L') ++i_;  // Python 2 longs
      out.push_back(v);
      if (out.size() > 64) bad("too many dimensions");
      skip_ws();
      if (peek() == ',') {
        ++i_;
      } else if (peek() != ')') {
        bad("expected ',' or ')' in 'shape'");
      }
    }
    ++i_;
    return out;
  }

  const Reader& r_;
  const std::string& s_;
  size_t i_ = 0;
};

// descr -> dtype (and whether the data is big-endian).
Dtype parse_descr(const Reader& r, const std::string& d, bool* swap) {
  if (d.size() < 3) r.fail("load", "unsupported dtype '" + d + "'");
  char order = d[0];
  std::string code = d.substr(1);
  if (order != '<' && order != '>' && order != '|' && order != '=') {
    r.fail("load", "unsupported dtype '" + d + "' (bad byte order)");
  }
  struct Entry {
    const char* code;
    Dtype t;
  };
  static const Entry table[] = {
      {"b1", bool_},   {"u1", uint8},   {"u2", uint16},   {"u4", uint32},    {"u8", uint64},
      {"i1", int8},    {"i2", int16},   {"i4", int32},    {"i8", int64},     {"f2", float16},
      {"f4", float32}, {"f8", float64}, {"V2", bfloat16}, {"c8", complex64},
  };
  for (const auto& e : table) {
    if (code == e.code) {
      *swap = order == '>' && e.t.size() > 1;
      return e.t;
    }
  }
  r.fail("load", "unsupported dtype '" + d +
                     "' (Tandem reads bool, integers, float16/32/64, bfloat16 ('<V2') and "
                     "complex64)");
}

const char* descr_of(Dtype t) {
  switch (t.val) {
    case Dtype::Val::bool_:
      return "|b1";
    case Dtype::Val::uint8:
      return "|u1";
    case Dtype::Val::uint16:
      return "<u2";
    case Dtype::Val::uint32:
      return "<u4";
    case Dtype::Val::uint64:
      return "<u8";
    case Dtype::Val::int8:
      return "|i1";
    case Dtype::Val::int16:
      return "<i2";
    case Dtype::Val::int32:
      return "<i4";
    case Dtype::Val::int64:
      return "<i8";
    case Dtype::Val::float16:
      return "<f2";
    case Dtype::Val::float32:
      return "<f4";
    case Dtype::Val::float64:
      return "<f8";
    case Dtype::Val::bfloat16:
      return "<V2";  // as MLX writes it; NumPy reads it as two-byte voids
    default:
      return "<c8";
  }
}

}  // namespace

array load_npy(Reader& r) {
  char magic[kMagicLen];
  if (r.size() - r.tell() < kMagicLen + 4) r.fail("load", "too short to be a .npy file");
  r.read(magic, kMagicLen);
  if (std::memcmp(magic, kMagic, kMagicLen) != 0) {
    r.fail("load", "not a .npy file (bad magic string)");
  }
  uint8_t version[2];
  r.read(version, 2);
  uint32_t header_len = 0;
  if (version[0] == 1) {
    uint8_t b[2];
    r.read(b, 2);
    header_len = b[0] | (b[1] << 8);
  } else if (version[0] == 2 || version[0] == 3) {
    uint8_t b[4];
    r.read(b, 4);
    header_len = b[0] | (b[1] << 8) | (b[2] << 16) | (static_cast<uint32_t>(b[3]) << 24);
  } else {
    r.fail("load", "unsupported .npy format version " + std::to_string(version[0]) + "." +
                       std::to_string(version[1]));
  }
  if (header_len > kMaxHeader || header_len > r.size() - r.tell()) {
    r.fail("load", "invalid .npy header length " + std::to_string(header_len));
  }
  std::string header(header_len, '\0');
  r.read(header.data(), header_len);
  std::string descr;
  bool fortran = false;
  std::vector<uint64_t> dims;
  HeaderParser(r, header).parse(&descr, &fortran, &dims);
  bool swap = false;
  Dtype t = parse_descr(r, descr, &swap);
  Shape shape;
  for (auto d : dims) shape.push_back(detail::checked_dim(r, "load", d));
  return detail::read_array(r, shape, t, swap, fortran, "load");
}

void save_npy(Writer& w, array a) {
  std::string header = "{'descr': '";
  header += descr_of(a.dtype());
  header += "', 'fortran_order': False, 'shape': (";
  for (int i = 0; i < a.ndim(); ++i) {
    header += std::to_string(a.shape(i));
    header += a.ndim() == 1 ? "," : (i + 1 < a.ndim() ? ", " : "");
  }
  header += "), }";
  // Pad with spaces and a newline so the data starts at a multiple of 64.
  size_t prefix = kMagicLen + 2 + 2;
  if (prefix + header.size() + 1 > 65535) prefix += 2;  // version 2: a 4-byte length
  size_t total = prefix + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string head(kMagic, kMagicLen);
  uint32_t len = static_cast<uint32_t>(header.size());
  head += static_cast<char>(prefix == 10 ? 1 : 2);
  head += '\0';
  head += static_cast<char>(len & 0xff);
  head += static_cast<char>((len >> 8) & 0xff);
  if (prefix == 12) {
    head += static_cast<char>((len >> 16) & 0xff);
    head += static_cast<char>((len >> 24) & 0xff);
  }
  std::vector<char> tmp;
  const void* data = detail::row_major_bytes(a, &tmp);
  w.write(head.data(), head.size());
  w.write(header.data(), header.size());
  w.write(data, a.nbytes());
}

}  // namespace tandem::io
