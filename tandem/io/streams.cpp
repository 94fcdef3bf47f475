// Byte sources and sinks for the file formats: files on disk and memory, and
// the path conveniences (tandem::save, tandem::load, ...).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "tandem/io/detail.h"

namespace tandem::io {

namespace {
// The length of the well-formed UTF-8 sequence at s[i], or 0.
size_t utf8_length(const std::string& s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
  if (len == 0 || i + len > s.size()) return 0;
  uint32_t cp = len == 1 ? c : c & (0x7f >> len);
  for (size_t k = 1; k < len; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (d & 0x3f);
  }
  static const uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) return 0;
  return len;
}
}  // namespace

bool detail::valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    size_t n = utf8_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string detail::printable(const std::string& msg) {
  // The message may quote bytes of a corrupt file: escape control characters
  // and malformed UTF-8 so that Python can decode it.
  std::string clean;
  for (size_t i = 0; i < msg.size();) {
    size_t n = utf8_length(msg, i);
    auto u = static_cast<unsigned char>(msg[i]);
    if (n == 0 || u < 0x20 || u == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof(buf), "\\x%02x", u);
      clean += buf;
      ++i;
    } else {
      clean.append(msg, i, n);
      i += n;
    }
  }
  return clean;
}

void Reader::fail(const char* op, const std::string& what) const {
  throw std::invalid_argument(
      detail::printable(std::string("[") + op + "] " + label() + ": " + what));
}

namespace {

std::string quote_path(const std::string& path) {
  return "file '" + path + "'";
}

class FileReader : public Reader {
 public:
  explicit FileReader(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "rb");
    if (!f_) {
      throw std::runtime_error("[load] cannot open " + quote_path(path) + ": " +
                               std::strerror(errno));
    }
    struct stat st;
    if (fstat(fileno(f_), &st) != 0 || !S_ISREG(st.st_mode)) {
      std::fclose(f_);
      throw std::runtime_error("[load] " + quote_path(path) + " is not a regular file");
    }
    size_ = static_cast<uint64_t>(st.st_size);
  }
  ~FileReader() override { std::fclose(f_); }
  void read(void* dst, size_t n) override {
    if (n == 0) return;
    if (pos_ + n > size_ || std::fread(dst, 1, n, f_) != n) {
      fail("load", "unexpected end of file (truncated?) reading " + std::to_string(n) +
                       " bytes at offset " + std::to_string(pos_) + " of " + std::to_string(size_));
    }
    pos_ += n;
  }
  void seek(uint64_t pos) override {
    if (pos > size_ || fseeko(f_, static_cast<off_t>(pos), SEEK_SET) != 0) {
      fail("load", "offset " + std::to_string(pos) + " is past the end of the file (" +
                       std::to_string(size_) + " bytes)");
    }
    pos_ = pos;
  }
  uint64_t tell() const override { return pos_; }
  uint64_t size() const override { return size_; }
  std::string label() const override { return quote_path(path_); }

 private:
  std::string path_;
  FILE* f_ = nullptr;
  uint64_t size_ = 0, pos_ = 0;
};

class MemoryReader : public Reader {
 public:
  MemoryReader(const void* data, size_t n, std::string label)
      : data_(static_cast<const char*>(data)), size_(n), label_(std::move(label)) {}
  void read(void* dst, size_t n) override {
    if (n > size_ - pos_) {
      fail("load", "unexpected end of data (truncated?) reading " + std::to_string(n) +
                       " bytes at offset " + std::to_string(pos_) + " of " + std::to_string(size_));
    }
    if (n) std::memcpy(dst, data_ + pos_, n);
    pos_ += n;
  }
  void seek(uint64_t pos) override {
    if (pos > size_) {
      fail("load", "offset " + std::to_string(pos) + " is past the end of the data (" +
                       std::to_string(size_) + " bytes)");
    }
    pos_ = pos;
  }
  uint64_t tell() const override { return pos_; }
  uint64_t size() const override { return size_; }
  std::string label() const override { return label_; }

 private:
  const char* data_;
  uint64_t size_, pos_ = 0;
  std::string label_;
};

class FileWriter : public Writer {
 public:
  explicit FileWriter(const std::string& path) : path_(path) {
    f_ = std::fopen(path.c_str(), "wb");
    if (!f_) {
      throw std::runtime_error("[save] cannot open " + quote_path(path) +
                               " for writing: " + std::strerror(errno));
    }
  }
  ~FileWriter() override {
    if (f_) std::fclose(f_);
  }
  void write(const void* src, size_t n) override {
    if (n && std::fwrite(src, 1, n, f_) != n) {
      throw std::runtime_error("[save] writing " + quote_path(path_) +
                               " failed: " + std::strerror(errno));
    }
    pos_ += n;
  }
  uint64_t tell() const override { return pos_; }
  std::string label() const override { return quote_path(path_); }
  void close() {
    int rc = std::fclose(f_);
    f_ = nullptr;
    if (rc != 0) {
      throw std::runtime_error("[save] closing " + quote_path(path_) +
                               " failed: " + std::strerror(errno));
    }
  }

 private:
  std::string path_;
  FILE* f_ = nullptr;
  uint64_t pos_ = 0;
};

class MemoryWriter : public Writer {
 public:
  MemoryWriter(std::string* out, std::string label) : out_(out), label_(std::move(label)) {}
  void write(const void* src, size_t n) override { out_->append(static_cast<const char*>(src), n); }
  uint64_t tell() const override { return out_->size(); }
  std::string label() const override { return label_; }

 private:
  std::string* out_;
  std::string label_;
};

}  // namespace

std::unique_ptr<Reader> open_reader(const std::string& path) {
  return std::make_unique<FileReader>(path);
}
std::unique_ptr<Writer> open_writer(const std::string& path) {
  return std::make_unique<FileWriter>(path);
}
void write_file(const std::string& path, const std::function<void(Writer&)>& f) {
  FileWriter w(path);
  f(w);
  w.close();
}

std::unique_ptr<Reader> memory_reader(const void* data, size_t n, std::string label) {
  return std::make_unique<MemoryReader>(data, n, std::move(label));
}
std::unique_ptr<Writer> memory_writer(std::string* out, std::string label) {
  return std::make_unique<MemoryWriter>(out, std::move(label));
}

}  // namespace tandem::io

namespace tandem {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

void save(std::string path, array a) {
  if (!ends_with(path, ".npy")) path += ".npy";
  io::write_file(path, [&](io::Writer& w) { io::save_npy(w, std::move(a)); });
}
array load(const std::string& path) {
  return io::load_npy(*io::open_reader(path));
}
void savez(std::string path, const io::NamedArrays& arrays, bool compress) {
  if (!ends_with(path, ".npz")) path += ".npz";
  io::write_file(path, [&](io::Writer& w) { io::save_npz(w, arrays, compress); });
}
io::NamedArrays load_npz(const std::string& path) {
  return io::load_npz(*io::open_reader(path));
}
void save_safetensors(std::string path, const io::NamedArrays& arrays,
                      const io::Metadata& metadata) {
  if (!ends_with(path, ".safetensors")) path += ".safetensors";
  io::write_file(path, [&](io::Writer& w) { io::save_safetensors(w, arrays, metadata); });
}
io::Safetensors load_safetensors(const std::string& path) {
  return io::load_safetensors(*io::open_reader(path));
}
void save_gguf(std::string path, const io::NamedArrays& arrays, const io::GGUFMetadata& metadata) {
  if (!ends_with(path, ".gguf")) path += ".gguf";
  io::write_file(path, [&](io::Writer& w) { io::save_gguf(w, arrays, metadata); });
}
io::GGUF load_gguf(const std::string& path) {
  return io::load_gguf(*io::open_reader(path));
}

}  // namespace tandem
