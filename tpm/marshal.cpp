#include "tpm/marshal.hpp"

#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>

#include <cstring>

#include "tpm/ossl_algs.hpp"

namespace recrypt::tpm {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kMaxLabel = 1024;

template <class T>
using MarshalFn = TSS2_RC (*)(const T*, std::uint8_t[], std::size_t, std::size_t*);
template <class T>
using UnmarshalFn = TSS2_RC (*)(const std::uint8_t[], std::size_t, std::size_t*, T*);

// Appends `value` marshalled by tss2-mu. No structure marshals to more than its size in
// memory plus its size fields.
template <class T, class Out>
void put(Out& out, const T& value, MarshalFn<T> marshal) {
  const std::size_t start = out.size();
  out.resize(start + sizeof(T) + 16);
  std::size_t off = start;
  const TSS2_RC rc = marshal(&value, out.data(), out.size(), &off);
  if (rc != TSS2_RC_SUCCESS) {
    out.resize(start);
    fail(Errc::internal, std::string("cannot marshal a TPM structure: ") + Tss2_RC_Decode(rc));
  }
  out.resize(off);
}

class Writer {
 public:
  explicit Writer(std::string_view magic) {
    out_.assign(magic.begin(), magic.end());
    out_.push_back(kVersion);
  }
  void u8(std::uint8_t v) { out_.push_back(v); }
  void label(const std::string& s) {
    if (s.size() > kMaxLabel) fail(Errc::too_large, "label longer than 1024 bytes");
    out_.push_back(static_cast<std::uint8_t>(s.size() >> 8));
    out_.push_back(static_cast<std::uint8_t>(s.size()));
    out_.insert(out_.end(), s.begin(), s.end());
  }
  template <class T>
  void tpm(const T& value, MarshalFn<T> marshal) {
    put(out_, value, marshal);
  }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

// Reads a format field by field, refusing to run past the end of its data. The TPM structures
// in it are read by tss2-mu.
class Reader {
 public:
  // A bare TPM structure.
  Reader(ByteView data, std::string_view what) : data_(data), what_(what) {}
  // A format behind a magic and a version byte.
  Reader(ByteView data, std::string_view magic, std::string_view what) : Reader(data, what) {
    if (data.size() < 5 || as_chars(data.first(4)) != magic)
      fail(Errc::malformed, "not a " + what_);
    if (data[4] != kVersion) fail(Errc::unsupported, "unsupported version of " + what_);
    off_ = 5;
  }
  std::uint8_t u8(const char* field) {
    need(1, field);
    return data_[off_++];
  }
  std::string label() {
    const std::size_t n = size_field("its label");
    // What the writer refuses to write, the reader refuses to read.
    if (n > kMaxLabel) fail(Errc::malformed, what_ + ": its label is longer than 1024 bytes");
    std::string s(as_chars(data_.subspan(off_ + 2, n)));
    off_ += 2 + n;
    return s;
  }
  // A TPM2B whose content is plain bytes (TPM2B_PRIVATE, TPM2B_ENCRYPTED_SECRET, ...).
  template <class T>
  T tpm2b(UnmarshalFn<T> unmarshal, const char* name) {
    const std::size_t n = size_field(name);
    T value{};
    if (n > sizeof value - sizeof value.size)
      fail(Errc::malformed, what_ + ": its " + name + " says " + std::to_string(n) +
                                " bytes, more than one can hold");
    const TSS2_RC rc = unmarshal(data_.data(), data_.size(), &off_, &value);
    if (rc != TSS2_RC_SUCCESS) bad(name, rc);
    return value;
  }
  // A TPM2B_PUBLIC: its size, then a TPMT_PUBLIC that must fill exactly that size.
  TPM2B_PUBLIC public_area() {
    const std::size_t n = size_field("TPM2B_PUBLIC");
    if (n == 0) fail(Errc::malformed, what_ + ": its TPM2B_PUBLIC is empty");
    TPM2B_PUBLIC value{};
    std::size_t used = 0;
    const TSS2_RC rc =
        Tss2_MU_TPMT_PUBLIC_Unmarshal(data_.data() + off_ + 2, n, &used, &value.publicArea);
    if (rc != TSS2_RC_SUCCESS) bad("TPM2B_PUBLIC", rc);
    if (used != n)
      fail(Errc::malformed, what_ + ": its TPM2B_PUBLIC says " + std::to_string(n) +
                                " bytes but the public area in it has " + std::to_string(used));
    value.size = static_cast<UINT16>(n);
    off_ += 2 + n;
    return value;
  }
  void finish() const {
    if (off_ != data_.size()) fail(Errc::malformed, "trailing bytes after " + what_);
  }

 private:
  void need(std::size_t n, const char* field) const {
    if (data_.size() - off_ < n)
      fail(Errc::truncated, "truncated " + what_ + ": " + field + " needs " + std::to_string(n) +
                                " bytes, " + std::to_string(data_.size() - off_) + " left");
  }
  // The u16 size of the field at the cursor, checked against what is left; not consumed.
  std::size_t size_field(const char* field) const {
    need(2, field);
    std::uint16_t n = 0;
    std::size_t at = off_;
    Tss2_MU_UINT16_Unmarshal(data_.data(), data_.size(), &at, &n);
    need(std::size_t{2} + n, field);
    return n;
  }
  [[noreturn]] void bad(const char* field, TSS2_RC rc) const {
    fail(Errc::malformed,
         what_ + ": its " + field + " does not parse (" + Tss2_RC_Decode(rc) + ")");
  }

  ByteView data_;
  std::string what_;
  std::size_t off_ = 0;
};

}  // namespace

// Key file flags. A bit added later reads as 0 in older files, so each new bit must mean
// "something more than before".
constexpr std::uint8_t kFlagResident = 0x01;
constexpr std::uint8_t kFlagPin = 0x02;

Bytes encode_key_blob(const KeyBlob& blob) {
  Writer w("RCTK");
  w.u8(blob.purpose == backend::KeyPurpose::signing ? 1 : 0);
  w.u8(static_cast<std::uint8_t>((blob.resident_share ? kFlagResident : 0) |
                                 (blob.pin_auth ? kFlagPin : 0)));
  w.label(blob.label);
  w.tpm(blob.pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  w.tpm(blob.priv, Tss2_MU_TPM2B_PRIVATE_Marshal);
  return w.take();
}

KeyBlob decode_key_blob(ByteView data) {
  Reader r(data, "RCTK", "TPM key file");
  KeyBlob blob;
  const std::uint8_t purpose = r.u8("its key purpose");
  if (purpose > 1) fail(Errc::malformed, "TPM key file names an unknown key purpose");
  blob.purpose = purpose == 1 ? backend::KeyPurpose::signing : backend::KeyPurpose::encryption;
  const std::uint8_t flags = r.u8("its flags");
  if ((flags & ~(kFlagResident | kFlagPin)) != 0)
    fail(Errc::malformed, "TPM key file has unknown flags");
  blob.resident_share = (flags & kFlagResident) != 0;
  blob.pin_auth = (flags & kFlagPin) != 0;  // files written before PINs existed: 0, no PIN
  blob.label = r.label();
  blob.pub = r.public_area();
  blob.priv = r.tpm2b(Tss2_MU_TPM2B_PRIVATE_Unmarshal, "TPM2B_PRIVATE");
  r.finish();
  return blob;
}

Bytes encode_sealed_blob(const SealedBlob& blob) {
  Writer w("RCTS");
  w.label(blob.label);
  w.tpm(blob.pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  w.tpm(blob.priv, Tss2_MU_TPM2B_PRIVATE_Marshal);
  return w.take();
}

SealedBlob decode_sealed_blob(ByteView data) {
  Reader r(data, "RCTS", "TPM sealed blob");
  SealedBlob blob;
  blob.label = r.label();
  blob.pub = r.public_area();
  blob.priv = r.tpm2b(Tss2_MU_TPM2B_PRIVATE_Unmarshal, "TPM2B_PRIVATE");
  r.finish();
  return blob;
}

Bytes encode_duplicate_blob(const DuplicateBlob& blob) {
  Writer w("RCTD");
  w.tpm(blob.pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  w.tpm(blob.duplicate, Tss2_MU_TPM2B_PRIVATE_Marshal);
  w.tpm(blob.seed, Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal);
  return w.take();
}

DuplicateBlob decode_duplicate_blob(ByteView data) {
  Reader r(data, "RCTD", "tpm2-duplicate-v1 share");
  DuplicateBlob blob;
  blob.pub = r.public_area();
  blob.duplicate = r.tpm2b(Tss2_MU_TPM2B_PRIVATE_Unmarshal, "TPM2B_PRIVATE");
  blob.seed = r.tpm2b(Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal, "TPM2B_ENCRYPTED_SECRET");
  r.finish();
  return blob;
}

Bytes encode_duplicate_sealed_blob(const DuplicateSealedBlob& blob) {
  Writer w("RCTW");
  w.label(blob.label);
  w.tpm(blob.dup.pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  w.tpm(blob.dup.duplicate, Tss2_MU_TPM2B_PRIVATE_Marshal);
  w.tpm(blob.dup.seed, Tss2_MU_TPM2B_ENCRYPTED_SECRET_Marshal);
  return w.take();
}

DuplicateSealedBlob decode_duplicate_sealed_blob(ByteView data) {
  Reader r(data, "RCTW", "tpm2-duplicate-sealed-v1 secret");
  DuplicateSealedBlob blob;
  blob.label = r.label();
  blob.dup.pub = r.public_area();
  blob.dup.duplicate = r.tpm2b(Tss2_MU_TPM2B_PRIVATE_Unmarshal, "TPM2B_PRIVATE");
  blob.dup.seed = r.tpm2b(Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal, "TPM2B_ENCRYPTED_SECRET");
  r.finish();
  return blob;
}

Bytes marshal_public(const TPM2B_PUBLIC& pub) {
  Bytes out;
  put(out, pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  return out;
}

TPM2B_PUBLIC unmarshal_public(ByteView data, std::string_view what) {
  Reader r(data, what);
  TPM2B_PUBLIC pub = r.public_area();
  r.finish();
  return pub;
}

Bytes marshal_public_area(const TPMT_PUBLIC& area) {
  Bytes out;
  put(out, area, Tss2_MU_TPMT_PUBLIC_Marshal);
  return out;
}

Bytes object_name(const TPMT_PUBLIC& area) {
  if (area.nameAlg != TPM2_ALG_SHA256)
    fail(Errc::unsupported, "TPM object Name: nameAlg is not SHA-256");
  Bytes name(sizeof(TPMI_ALG_HASH));
  std::size_t off = 0;
  const TSS2_RC rc = Tss2_MU_TPMI_ALG_HASH_Marshal(area.nameAlg, name.data(), name.size(), &off);
  if (rc != TSS2_RC_SUCCESS)
    fail(Errc::internal, std::string("cannot marshal a nameAlg: ") + Tss2_RC_Decode(rc));
  const Bytes digest = algs::sha256_of({marshal_public_area(area)});
  name.insert(name.end(), digest.begin(), digest.end());
  return name;
}

SecureBytes marshal_sensitive(const TPMT_SENSITIVE& sensitive) {
  TPM2B_SENSITIVE framed{};
  framed.sensitiveArea = sensitive;
  SecureBytes out;
  try {
    put(out, framed, Tss2_MU_TPM2B_SENSITIVE_Marshal);
  } catch (...) {
    secure_wipe(&framed, sizeof framed);
    throw;
  }
  secure_wipe(&framed, sizeof framed);
  return out;
}

TPM2B_ENCRYPTED_SECRET ecc_encrypted_secret(const TPMS_ECC_POINT& ephemeral) {
  TPM2B_ENCRYPTED_SECRET out{};
  std::size_t off = 0;
  const TSS2_RC rc =
      Tss2_MU_TPMS_ECC_POINT_Marshal(&ephemeral, out.secret, sizeof out.secret, &off);
  if (rc != TSS2_RC_SUCCESS)
    fail(Errc::internal, std::string("cannot marshal an ECC point: ") + Tss2_RC_Decode(rc));
  out.size = static_cast<UINT16>(off);
  return out;
}

TPM2B_PRIVATE outer_wrapped_private(const TPM2B_DIGEST& integrity, ByteView enc_sensitive) {
  TPM2B_PRIVATE out{};
  std::size_t off = 0;
  const TSS2_RC rc = Tss2_MU_TPM2B_DIGEST_Marshal(&integrity, out.buffer, sizeof out.buffer, &off);
  if (rc != TSS2_RC_SUCCESS || sizeof out.buffer - off < enc_sensitive.size())
    fail(Errc::too_large, "the wrapped sensitive area does not fit a TPM2B_PRIVATE");
  std::memcpy(out.buffer + off, enc_sensitive.data(), enc_sensitive.size());
  out.size = static_cast<UINT16>(off + enc_sensitive.size());
  return out;
}

}  // namespace recrypt::tpm
