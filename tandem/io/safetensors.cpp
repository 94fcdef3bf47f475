// The .safetensors format: an 8-byte little-endian header length N, N bytes
// of JSON ({"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]},
// ..., "__metadata__": {"key": "value"}}), then the data, each tensor
// row-major and little-endian at [b, e) from the start of the data.
#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "tandem/io/detail.h"

namespace tandem::io {

namespace {

constexpr uint64_t kMaxHeader = 100ull << 20;  // the safetensors library's limit

struct NameOf {
  Dtype t;
  const char* name;
};
// MLX's names (float64 too, which the format defines).
constexpr NameOf kNames[] = {
    {bool_, "BOOL"},    {uint8, "U8"},    {int8, "I8"},     {uint16, "U16"},    {int16, "I16"},
    {uint32, "U32"},    {int32, "I32"},   {uint64, "U64"},  {int64, "I64"},     {float16, "F16"},
    {bfloat16, "BF16"}, {float32, "F32"}, {float64, "F64"}, {complex64, "C64"},
};

// A JSON value, as much of JSON as the header uses.
struct Json {
  enum Kind { null, boolean, number, string, array, object } kind = null;
  std::string str;
  uint64_t num = 0;
  bool integer = true;  // a non-negative integer that fits in num
  std::vector<Json> items;
  std::vector<std::pair<std::string, Json>> members;
};

class JsonParser {
 public:
  JsonParser(const Reader& r, const std::string& s) : r_(r), s_(s) {}
  Json parse_document() {
    Json v = value(0);
    ws();
    if (i_ != s_.size()) bad("trailing characters after the JSON header");
    return v;
  }

 private:
  [[noreturn]] void bad(const std::string& what) const {
    r_.fail("load",
            "invalid safetensors header: " + what + " (at byte " + std::to_string(i_) + ")");
  }
  void ws() {
    while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r'))
      ++i_;
  }
  char peek() const { return i_ < s_.size() ? s_[i_] : '\0'; }
  Json value(int depth) {
    if (depth > 32) bad("JSON nested too deeply");
    ws();
    Json v;
    char c = peek();
    if (c == '{') {
      v.kind = Json::object;
      ++i_;
      ws();
      if (peek() == '}') {
        ++i_;
        return v;
      }
      while (true) {
        ws();
        if (peek() != '"') bad("expected a string key");
        std::string key = string();
        ws();
        if (peek() != ':') bad("expected ':'");
        ++i_;
        v.members.emplace_back(std::move(key), value(depth + 1));
        ws();
        if (peek() == ',') {
          ++i_;
        } else if (peek() == '}') {
          ++i_;
          return v;
        } else {
          bad("expected ',' or '}'");
        }
      }
    }
    if (c == '[') {
      v.kind = Json::array;
      ++i_;
      ws();
      if (peek() == ']') {
        ++i_;
        return v;
      }
      while (true) {
        v.items.push_back(value(depth + 1));
        if (v.items.size() > 1024) bad("JSON array too long");
        ws();
        if (peek() == ',') {
          ++i_;
        } else if (peek() == ']') {
          ++i_;
          return v;
        } else {
          bad("expected ',' or ']'");
        }
      }
    }
    if (c == '"') {
      v.kind = Json::string;
      v.str = string();
      return v;
    }
    if (s_.compare(i_, 4, "true") == 0 || s_.compare(i_, 5, "false") == 0) {
      v.kind = Json::boolean;
      i_ += s_[i_] == 't' ? 4 : 5;
      return v;
    }
    if (s_.compare(i_, 4, "null") == 0) {
      i_ += 4;
      return v;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      v.kind = Json::number;
      size_t start = i_;
      if (c == '-') {
        v.integer = false;
        ++i_;
      }
      while (peek() >= '0' && peek() <= '9') {
        uint64_t d = static_cast<uint64_t>(s_[i_++] - '0');
        if (v.num > (UINT64_MAX - d) / 10) v.integer = false;
        v.num = v.num * 10 + d;
      }
      while (peek() == '.' || peek() == 'e' || peek() == 'E' || peek() == '+' || peek() == '-' ||
             (peek() >= '0' && peek() <= '9')) {
        v.integer = false;
        ++i_;
      }
      if (i_ == start + (c == '-')) bad("bad number");
      return v;
    }
    bad("unexpected character");
  }
  static void put_utf8(std::string* out, uint32_t cp) {
    if (cp < 0x80) {
      out->push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
      out->push_back(static_cast<char>(0xc0 | (cp >> 6)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else if (cp < 0x10000) {
      out->push_back(static_cast<char>(0xe0 | (cp >> 12)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    } else {
      out->push_back(static_cast<char>(0xf0 | (cp >> 18)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3f)));
      out->push_back(static_cast<char>(0x80 | (cp & 0x3f)));
    }
  }
  uint32_t hex4() {
    if (i_ + 4 > s_.size()) bad("bad \\u escape");
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char h = s_[i_++];
      v <<= 4;
      if (h >= '0' && h <= '9') {
        v |= static_cast<uint32_t>(h - '0');
      } else if (h >= 'a' && h <= 'f') {
        v |= static_cast<uint32_t>(h - 'a' + 10);
      } else if (h >= 'A' && h <= 'F') {
        v |= static_cast<uint32_t>(h - 'A' + 10);
      } else {
        bad("bad \\u escape");
      }
    }
    return v;
  }
  std::string string() {
    ++i_;  // the opening quote
    std::string out;
    while (true) {
      if (i_ >= s_.size()) bad("unterminated string");
      char c = s_[i_++];
      if (c == '"') return out;
      if (static_cast<unsigned char>(c) < 0x20) bad("control character in a string");
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (i_ >= s_.size()) bad("unterminated string");
      char e = s_[i_++];
      switch (e) {
        case '"':
        case '\\':
        case '/':
          out.push_back(e);
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'u': {
          uint32_t cp = hex4();
          if (cp >= 0xd800 && cp < 0xdc00 && s_.compare(i_, 2, "\\u") == 0) {
            i_ += 2;
            uint32_t lo = hex4();
            if (lo < 0xdc00 || lo >= 0xe000) bad("bad surrogate pair");
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
          }
          // A lone surrogate has no UTF-8 encoding.
          if (cp >= 0xd800 && cp < 0xe000) bad("lone surrogate in a \\u escape");
          put_utf8(&out, cp);
          break;
        }
        default:
          bad("bad escape in a string");
      }
    }
  }

  const Reader& r_;
  const std::string& s_;
  size_t i_ = 0;
};

void json_string(std::string* out, const std::string& s) {
  out->push_back('"');
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out->push_back('\\');
      out->push_back(c);
    } else if (u < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\u%04x", u);
      *out += buf;
    } else {
      out->push_back(c);
    }
  }
  out->push_back('"');
}

const Json* member(const Json& o, const char* key) {
  for (const auto& [k, v] : o.members) {
    if (k == key) return &v;
  }
  return nullptr;
}

}  // namespace

Safetensors load_safetensors(Reader& r) {
  uint64_t size = r.size() - r.tell();
  if (size < 8) r.fail("load", "too short to be a .safetensors file");
  uint8_t len_bytes[8];
  r.read(len_bytes, 8);
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | len_bytes[i];
  if (n > kMaxHeader || n > size - 8) {
    r.fail("load", "invalid safetensors header length " + std::to_string(n) + " (file has " +
                       std::to_string(size) + " bytes)");
  }
  std::string text(n, '\0');
  r.read(text.data(), n);
  uint64_t data_start = r.tell();
  uint64_t data_size = size - 8 - n;
  if (!detail::valid_utf8(text)) r.fail("load", "the safetensors header is not valid UTF-8");
  Json root = JsonParser(r, text).parse_document();
  if (root.kind != Json::object) r.fail("load", "the safetensors header is not a JSON object");

  Safetensors out;
  std::set<std::string> names;
  for (const auto& [name, v] : root.members) {
    if (!names.insert(name).second) r.fail("load", "duplicate tensor name '" + name + "'");
    if (name == "__metadata__") {
      if (v.kind != Json::object) r.fail("load", "'__metadata__' must be an object");
      for (const auto& [k, mv] : v.members) {
        if (mv.kind != Json::string) {
          r.fail("load", "metadata value of '" + k + "' is not a string");
        }
        out.metadata.emplace_back(k, mv.str);
      }
      continue;
    }
    auto bad = [&](const std::string& what) { r.fail("load", "tensor '" + name + "': " + what); };
    if (v.kind != Json::object) bad("entry is not a JSON object");
    const Json* dt = member(v, "dtype");
    const Json* sh = member(v, "shape");
    const Json* off = member(v, "data_offsets");
    if (!dt || dt->kind != Json::string) bad("missing or bad 'dtype'");
    if (!sh || sh->kind != Json::array) bad("missing or bad 'shape'");
    if (!off || off->kind != Json::array || off->items.size() != 2) bad("bad 'data_offsets'");
    std::optional<Dtype> t;
    for (const auto& e : kNames) {
      if (dt->str == e.name) t = e.t;
    }
    if (!t) bad("unsupported dtype '" + dt->str + "'");
    Shape shape;
    for (const auto& d : sh->items) {
      if (d.kind != Json::number || !d.integer) bad("shape entries must be non-negative integers");
      shape.push_back(detail::checked_dim(r, "load", d.num));
    }
    for (const auto& o : off->items) {
      if (o.kind != Json::number || !o.integer) bad("data_offsets must be non-negative integers");
    }
    uint64_t begin = off->items[0].num, end = off->items[1].num;
    if (begin > end || end > data_size) {
      bad("data_offsets [" + std::to_string(begin) + ", " + std::to_string(end) +
          "] are outside the " + std::to_string(data_size) + " bytes of data (truncated?)");
    }
    size_t count = 0;
    try {
      count = checked_shape_size(shape, *t, "load");
    } catch (const std::invalid_argument& e) {
      bad(e.what());
    }
    if (end - begin != count * t->size()) {
      bad("data_offsets span " + std::to_string(end - begin) + " bytes but shape " +
          shape_str(shape) + " of " + dt->str + " needs " + std::to_string(count * t->size()));
    }
    r.seek(data_start + begin);
    out.arrays.emplace_back(name, detail::read_array(r, shape, *t, false, false, "load"));
  }
  return out;
}

void save_safetensors(Writer& w, const NamedArrays& arrays, const Metadata& metadata) {
  // Sorted by name, like MLX's header; the data in the same order.
  std::map<std::string, array> sorted;
  for (const auto& [k, a] : arrays) {
    if (k == "__metadata__") {
      throw std::invalid_argument("[save_safetensors] '__metadata__' is reserved for metadata");
    }
    if (!sorted.emplace(k, a).second) {
      throw std::invalid_argument("[save_safetensors] duplicate name '" + k + "'");
    }
  }
  std::string header = "{";
  if (!metadata.empty()) {
    header += "\"__metadata__\":{";
    bool first = true;
    for (const auto& [k, v] : metadata) {
      if (!first) header += ',';
      first = false;
      json_string(&header, k);
      header += ':';
      json_string(&header, v);
    }
    header += "}";
  }
  uint64_t offset = 0;
  for (const auto& [k, a] : sorted) {
    const char* dname = nullptr;
    for (const auto& e : kNames) {
      if (e.t == a.dtype()) dname = e.name;
    }
    if (header.size() > 1) header += ',';
    json_string(&header, k);
    header += ":{\"data_offsets\":[" + std::to_string(offset) + "," +
              std::to_string(offset + a.nbytes()) + "],\"dtype\":\"" + dname + "\",\"shape\":[";
    for (int i = 0; i < a.ndim(); ++i) {
      if (i) header += ',';
      header += std::to_string(a.shape(i));
    }
    header += "]}";
    offset += a.nbytes();
  }
  header += "}";
  // Pad with spaces so the data starts 8-byte aligned (as the safetensors
  // library writes it).
  header.append((8 - header.size() % 8) % 8, ' ');
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>((header.size() >> (8 * i)) & 0xff);
  w.write(len, 8);
  w.write(header.data(), header.size());
  std::vector<char> tmp;
  for (auto& [k, a] : sorted) {
    array x = a;
    const void* data = detail::row_major_bytes(x, &tmp);
    w.write(data, x.nbytes());
  }
}

}  // namespace tandem::io
