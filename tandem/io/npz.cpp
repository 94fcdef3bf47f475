// NumPy's .npz format: a zip archive of .npy members, each stored or
// compressed with deflate (zlib). Zip64 records are read and, for members or
// archives past 4 GiB, written.
#include <zlib.h>

#include <cstring>
#include <limits>
#include <set>
#include <string>
#include <vector>

#include "tandem/io/detail.h"

namespace tandem::io {

namespace {

constexpr uint32_t kLocalSig = 0x04034b50, kCentralSig = 0x02014b50, kEndSig = 0x06054b50;
constexpr uint32_t kZip64EndSig = 0x06064b50, kZip64LocatorSig = 0x07064b50;
constexpr uint32_t kMax32 = 0xffffffffu;
// Deflate cannot expand data by more than about 1032:1; a member that says it
// does is corrupt (and would make us allocate whatever it claims).
constexpr uint64_t kMaxDeflateRatio = 1032;

uint64_t get_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
void put_le(std::string* out, uint64_t v, int n) {
  for (int i = 0; i < n; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint32_t crc_of(const void* data, uint64_t n) {
  uLong crc = crc32(0L, Z_NULL, 0);
  auto* p = static_cast<const Bytef*>(data);
  while (n) {
    uInt chunk = static_cast<uInt>(std::min<uint64_t>(n, 1u << 30));
    crc = crc32(crc, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<uint32_t>(crc);
}

// A window [base, base + len) of another reader: a stored member.
class WindowReader : public Reader {
 public:
  WindowReader(Reader& parent, uint64_t base, uint64_t len, std::string label)
      : parent_(parent), base_(base), len_(len), label_(std::move(label)) {}
  void read(void* dst, size_t n) override {
    if (n > len_ - pos_) fail("load", "unexpected end of member data (truncated?)");
    parent_.seek(base_ + pos_);
    parent_.read(dst, n);
    pos_ += n;
  }
  void seek(uint64_t pos) override {
    if (pos > len_) fail("load", "offset past the end of the member");
    pos_ = pos;
  }
  uint64_t tell() const override { return pos_; }
  uint64_t size() const override { return len_; }
  std::string label() const override { return label_; }

 private:
  Reader& parent_;
  uint64_t base_, len_, pos_ = 0;
  std::string label_;
};

struct Entry {
  std::string name;
  uint16_t flags = 0, method = 0;
  uint32_t crc = 0;
  uint64_t csize = 0, usize = 0, offset = 0;
};

std::string inflate_member(Reader& r, const Entry& e, const std::string& label) {
  if (e.usize > e.csize * kMaxDeflateRatio + 1024) {
    r.fail("load", "member '" + e.name + "' declares " + std::to_string(e.usize) +
                       " bytes uncompressed from " + std::to_string(e.csize) +
                       " compressed, more than deflate can produce");
  }
  std::string in(e.csize, '\0');
  r.read(in.data(), e.csize);
  std::string out(e.usize, '\0');
  z_stream zs{};
  if (inflateInit2(&zs, -MAX_WBITS) != Z_OK) r.fail("load", "zlib could not start inflating");
  zs.next_in = reinterpret_cast<Bytef*>(in.data());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  uint64_t in_left = e.csize, out_left = e.usize;
  int rc = Z_OK;
  while (rc == Z_OK) {
    // zlib counts in uInt: feed at most 1 GiB at a time.
    if (zs.avail_in == 0 && in_left) {
      zs.avail_in = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
      in_left -= zs.avail_in;
    }
    if (zs.avail_out == 0 && out_left) {
      zs.avail_out = static_cast<uInt>(std::min<uint64_t>(out_left, 1u << 30));
      out_left -= zs.avail_out;
    }
    uInt before_in = zs.avail_in, before_out = zs.avail_out;
    rc = inflate(&zs, Z_NO_FLUSH);
    if (rc == Z_BUF_ERROR && (zs.avail_in != before_in || zs.avail_out != before_out)) rc = Z_OK;
  }
  uint64_t produced = zs.total_out;
  inflateEnd(&zs);
  if (rc != Z_STREAM_END || produced != e.usize) {
    r.fail("load", "member '" + e.name + "' does not inflate to its declared " +
                       std::to_string(e.usize) + " bytes (corrupt compressed data)");
  }
  if (crc_of(out.data(), out.size()) != e.crc) {
    r.fail("load", "member '" + e.name + "' fails its CRC-32 check (corrupt data)");
  }
  return out;
}

}  // namespace

NamedArrays load_npz(Reader& r) {
  uint64_t size = r.size();
  if (size < 22) r.fail("load", "too short to be a .npz (zip) file");
  // The end-of-central-directory record is in the last 64 KiB + 22 bytes.
  uint64_t tail_len = std::min<uint64_t>(size, 65535 + 22);
  std::vector<uint8_t> tail(tail_len);
  r.seek(size - tail_len);
  r.read(tail.data(), tail_len);
  int64_t end = -1;
  for (int64_t i = static_cast<int64_t>(tail_len) - 22; i >= 0; --i) {
    if (get_le(&tail[i], 4) == kEndSig) {
      end = i;
      break;
    }
  }
  if (end < 0) r.fail("load", "not a .npz file (no zip end-of-central-directory record)");
  const uint8_t* eocd = &tail[end];
  uint64_t count = get_le(eocd + 10, 2), cd_size = get_le(eocd + 12, 4),
           cd_offset = get_le(eocd + 16, 4);
  uint64_t eocd_pos = size - tail_len + end;
  if ((count == 0xffff || cd_size == kMax32 || cd_offset == kMax32) && eocd_pos >= 20) {
    uint8_t loc[20];
    r.seek(eocd_pos - 20);
    r.read(loc, 20);
    if (get_le(loc, 4) == kZip64LocatorSig) {
      uint8_t rec[56];
      r.seek(get_le(loc + 8, 8));
      r.read(rec, 56);
      if (get_le(rec, 4) != kZip64EndSig) r.fail("load", "bad zip64 end-of-directory record");
      count = get_le(rec + 32, 8);
      cd_size = get_le(rec + 40, 8);
      cd_offset = get_le(rec + 48, 8);
    }
  }
  if (cd_offset > size || cd_size > size - cd_offset || count > cd_size / 46) {
    r.fail("load", "corrupt zip central directory (offset " + std::to_string(cd_offset) +
                       ", size " + std::to_string(cd_size) + ", " + std::to_string(count) +
                       " entries)");
  }
  std::vector<uint8_t> cd(cd_size);
  r.seek(cd_offset);
  r.read(cd.data(), cd_size);
  std::vector<Entry> entries;
  size_t p = 0;
  for (uint64_t k = 0; k < count; ++k) {
    if (p + 46 > cd.size() || get_le(&cd[p], 4) != kCentralSig) {
      r.fail("load", "corrupt zip central directory entry " + std::to_string(k));
    }
    const uint8_t* h = &cd[p];
    Entry e;
    e.flags = static_cast<uint16_t>(get_le(h + 8, 2));
    e.method = static_cast<uint16_t>(get_le(h + 10, 2));
    e.crc = static_cast<uint32_t>(get_le(h + 16, 4));
    e.csize = get_le(h + 20, 4);
    e.usize = get_le(h + 24, 4);
    size_t name_len = get_le(h + 28, 2), extra_len = get_le(h + 30, 2),
           comment_len = get_le(h + 32, 2);
    e.offset = get_le(h + 42, 4);
    if (p + 46 + name_len + extra_len + comment_len > cd.size()) {
      r.fail("load", "corrupt zip central directory entry " + std::to_string(k));
    }
    e.name.assign(reinterpret_cast<const char*>(h + 46), name_len);
    // Zip64 extra field: the 64-bit values of the fields saturated above.
    const uint8_t* x = h + 46 + name_len;
    for (size_t q = 0; q + 4 <= extra_len;) {
      uint64_t id = get_le(x + q, 2), len = get_le(x + q + 2, 2);
      if (q + 4 + len > extra_len) break;
      if (id == 1) {
        const uint8_t* f = x + q + 4;
        size_t used = 0;
        for (uint64_t* v : {&e.usize, &e.csize, &e.offset}) {
          if (*v == kMax32 && used + 8 <= len) {
            *v = get_le(f + used, 8);
            used += 8;
          }
        }
      }
      q += 4 + len;
    }
    p += 46 + name_len + extra_len + comment_len;
    entries.push_back(std::move(e));
  }

  NamedArrays out;
  std::set<std::string> seen;
  for (const auto& e : entries) {
    std::string label = r.label() + " member '" + e.name + "'";
    if (e.name.size() < 4 || e.name.compare(e.name.size() - 4, 4, ".npy") != 0) {
      r.fail("load", "member '" + e.name + "' is not a .npy file");
    }
    if (e.flags & 1) r.fail("load", "member '" + e.name + "' is encrypted");
    if (e.offset > size - 30) r.fail("load", "member '" + e.name + "' starts past the end");
    uint8_t lh[30];
    r.seek(e.offset);
    r.read(lh, 30);
    if (get_le(lh, 4) != kLocalSig) {
      r.fail("load", "member '" + e.name + "' has no local header (corrupt archive)");
    }
    uint64_t data = e.offset + 30 + get_le(lh + 26, 2) + get_le(lh + 28, 2);
    if (data > size || e.csize > size - data) {
      r.fail("load", "member '" + e.name + "' runs past the end of the file (truncated?)");
    }
    r.seek(data);
    std::string key = e.name.substr(0, e.name.size() - 4);
    if (!seen.insert(key).second) r.fail("load", "duplicate member '" + e.name + "'");
    if (e.method == 0) {
      if (e.csize != e.usize) r.fail("load", "stored member '" + e.name + "' has two sizes");
      WindowReader wr(r, data, e.csize, label);
      out.emplace_back(key, load_npy(wr));
    } else if (e.method == 8) {
      std::string bytes = inflate_member(r, e, label);
      auto mr = memory_reader(bytes.data(), bytes.size(), label);
      out.emplace_back(key, load_npy(*mr));
    } else {
      r.fail("load", "member '" + e.name + "' uses unsupported compression method " +
                         std::to_string(e.method) + " (only stored and deflate)");
    }
  }
  return out;
}

void save_npz(Writer& w, const NamedArrays& arrays, bool compress) {
  std::string central;
  uint64_t count = 0;
  // 1980-01-01 00:00, the zip epoch (the files are not dated).
  constexpr uint16_t kTime = 0, kDate = (0 << 9) | (1 << 5) | 1;
  uint64_t start = w.tell();
  for (const auto& [key, a] : arrays) {
    std::string name = key + ".npy";
    if (name.size() > 0xffff) throw std::invalid_argument("[savez] name too long: " + key);
    std::string raw;
    auto mw = memory_writer(&raw, name);
    save_npy(*mw, a);
    uint32_t crc = crc_of(raw.data(), raw.size());
    std::string packed;
    uint16_t method = 0;
    if (compress) {
      method = 8;
      z_stream zs{};
      if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY) !=
          Z_OK) {
        throw std::runtime_error("[savez_compressed] zlib could not start deflating");
      }
      packed.resize(deflateBound(&zs, raw.size()));
      zs.next_in = reinterpret_cast<Bytef*>(raw.data());
      zs.next_out = reinterpret_cast<Bytef*>(packed.data());
      uint64_t in_left = raw.size(), out_left = packed.size();
      int rc = Z_OK;
      while (rc != Z_STREAM_END) {
        if (zs.avail_in == 0 && in_left) {
          zs.avail_in = static_cast<uInt>(std::min<uint64_t>(in_left, 1u << 30));
          in_left -= zs.avail_in;
        }
        if (zs.avail_out == 0 && out_left) {
          zs.avail_out = static_cast<uInt>(std::min<uint64_t>(out_left, 1u << 30));
          out_left -= zs.avail_out;
        }
        rc = deflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
        if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
          deflateEnd(&zs);
          throw std::runtime_error("[savez_compressed] zlib deflate failed");
        }
      }
      packed.resize(zs.total_out);
      deflateEnd(&zs);
    }
    const std::string& body = compress ? packed : raw;
    uint64_t offset = w.tell() - start;
    bool zip64 = raw.size() >= kMax32 || body.size() >= kMax32 || offset >= kMax32;
    // The fields the local and central headers share, in the same order:
    // version needed, flags, method, time, date, crc, sizes, name length.
    auto shared_fields = [&](std::string* h) {
      put_le(h, zip64 ? 45 : 20, 2);
      put_le(h, 0, 2);
      put_le(h, method, 2);
      put_le(h, kTime, 2);
      put_le(h, kDate, 2);
      put_le(h, crc, 4);
      put_le(h, zip64 ? kMax32 : body.size(), 4);
      put_le(h, zip64 ? kMax32 : raw.size(), 4);
      put_le(h, name.size(), 2);
    };
    std::string local;
    put_le(&local, kLocalSig, 4);
    shared_fields(&local);
    put_le(&local, zip64 ? 20 : 0, 2);
    local += name;
    if (zip64) {
      put_le(&local, 1, 2);
      put_le(&local, 16, 2);
      put_le(&local, raw.size(), 8);
      put_le(&local, body.size(), 8);
    }
    w.write(local.data(), local.size());
    w.write(body.data(), body.size());

    put_le(&central, kCentralSig, 4);
    put_le(&central, zip64 ? 45 : 20, 2);  // made by
    shared_fields(&central);
    put_le(&central, zip64 ? 28 : 0, 2);
    put_le(&central, 0, 2);  // comment
    put_le(&central, 0, 2);  // disk
    put_le(&central, 0, 2);  // internal attributes
    put_le(&central, 0, 4);  // external attributes
    put_le(&central, zip64 ? kMax32 : offset, 4);
    central += name;
    if (zip64) {
      put_le(&central, 1, 2);
      put_le(&central, 24, 2);
      put_le(&central, raw.size(), 8);
      put_le(&central, body.size(), 8);
      put_le(&central, offset, 8);
    }
    ++count;
  }
  uint64_t cd_offset = w.tell() - start;
  std::string end;
  bool zip64 = cd_offset >= kMax32 || central.size() >= kMax32 || count >= 0xffff;
  if (zip64) {
    uint64_t rec_offset = cd_offset + central.size();
    put_le(&end, kZip64EndSig, 4);
    put_le(&end, 44, 8);  // size of the rest of the record
    put_le(&end, 45, 2);
    put_le(&end, 45, 2);
    put_le(&end, 0, 4);
    put_le(&end, 0, 4);
    put_le(&end, count, 8);
    put_le(&end, count, 8);
    put_le(&end, central.size(), 8);
    put_le(&end, cd_offset, 8);
    put_le(&end, kZip64LocatorSig, 4);
    put_le(&end, 0, 4);
    put_le(&end, rec_offset, 8);
    put_le(&end, 1, 4);
  }
  put_le(&end, kEndSig, 4);
  put_le(&end, 0, 2);
  put_le(&end, 0, 2);
  put_le(&end, zip64 ? 0xffff : count, 2);
  put_le(&end, zip64 ? 0xffff : count, 2);
  put_le(&end, zip64 ? kMax32 : central.size(), 4);
  put_le(&end, zip64 ? kMax32 : cd_offset, 4);
  put_le(&end, 0, 2);
  w.write(central.data(), central.size());
  w.write(end.data(), end.size());
}

}  // namespace tandem::io
