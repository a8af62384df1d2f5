#include "tpm/marshal.hpp"

#include <tss2/tss2_mu.h>

#include <string_view>

namespace recrypt::tpm {
namespace {

constexpr std::uint8_t kVersion = 1;
constexpr std::size_t kMaxLabel = 1024;

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
  // Marshals with a tss2-mu function into a scratch buffer of the structure's maximum size.
  template <class T, class F>
  void tpm(const T& value, F marshal) {
    std::uint8_t buf[sizeof(T) + 16];
    std::size_t off = 0;
    if (marshal(&value, buf, sizeof buf, &off) != TSS2_RC_SUCCESS)
      fail(Errc::internal, "cannot marshal a TPM structure");
    out_.insert(out_.end(), buf, buf + off);
  }
  Bytes take() { return std::move(out_); }

 private:
  Bytes out_;
};

class Reader {
 public:
  Reader(ByteView data, std::string_view magic, const char* what) : data_(data), what_(what) {
    if (data.size() < 5 || as_chars(data.first(4)) != magic)
      fail(Errc::malformed, std::string("not a ") + what);
    if (data[4] != kVersion)
      fail(Errc::unsupported, std::string("unsupported version of ") + what);
    off_ = 5;
  }
  std::uint8_t u8() {
    need(1);
    return data_[off_++];
  }
  std::string label() {
    need(2);
    const std::size_t n = (std::size_t{data_[off_]} << 8) | data_[off_ + 1];
    off_ += 2;
    need(n);
    std::string s(as_chars(data_.subspan(off_, n)));
    off_ += n;
    return s;
  }
  template <class T, class F>
  T tpm(F unmarshal) {
    T value{};
    if (unmarshal(data_.data(), data_.size(), &off_, &value) != TSS2_RC_SUCCESS)
      fail(Errc::malformed, std::string("truncated or corrupt ") + what_);
    return value;
  }
  void finish() const {
    if (off_ != data_.size()) fail(Errc::malformed, std::string("trailing bytes after ") + what_);
  }

 private:
  void need(std::size_t n) const {
    if (data_.size() - off_ < n) fail(Errc::truncated, std::string("truncated ") + what_);
  }
  ByteView data_;
  const char* what_;
  std::size_t off_ = 0;
};

}  // namespace

Bytes encode_key_blob(const KeyBlob& blob) {
  Writer w("RCTK");
  w.u8(blob.purpose == backend::KeyPurpose::signing ? 1 : 0);
  w.u8(blob.resident_share ? 1 : 0);
  w.label(blob.label);
  w.tpm(blob.pub, Tss2_MU_TPM2B_PUBLIC_Marshal);
  w.tpm(blob.priv, Tss2_MU_TPM2B_PRIVATE_Marshal);
  return w.take();
}

KeyBlob decode_key_blob(ByteView data) {
  Reader r(data, "RCTK", "TPM key file");
  KeyBlob blob;
  const std::uint8_t purpose = r.u8();
  if (purpose > 1) fail(Errc::malformed, "TPM key file names an unknown key purpose");
  blob.purpose = purpose == 1 ? backend::KeyPurpose::signing : backend::KeyPurpose::encryption;
  const std::uint8_t flags = r.u8();
  if (flags > 1) fail(Errc::malformed, "TPM key file has unknown flags");
  blob.resident_share = flags == 1;
  blob.label = r.label();
  blob.pub = r.tpm<TPM2B_PUBLIC>(Tss2_MU_TPM2B_PUBLIC_Unmarshal);
  blob.priv = r.tpm<TPM2B_PRIVATE>(Tss2_MU_TPM2B_PRIVATE_Unmarshal);
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
  blob.pub = r.tpm<TPM2B_PUBLIC>(Tss2_MU_TPM2B_PUBLIC_Unmarshal);
  blob.priv = r.tpm<TPM2B_PRIVATE>(Tss2_MU_TPM2B_PRIVATE_Unmarshal);
  r.finish();
  return blob;
}

DuplicateBlob decode_duplicate_blob(ByteView data) {
  Reader r(data, "RCTD", "tpm2-duplicate-v1 share");
  DuplicateBlob blob;
  blob.pub = r.tpm<TPM2B_PUBLIC>(Tss2_MU_TPM2B_PUBLIC_Unmarshal);
  blob.duplicate = r.tpm<TPM2B_PRIVATE>(Tss2_MU_TPM2B_PRIVATE_Unmarshal);
  blob.seed = r.tpm<TPM2B_ENCRYPTED_SECRET>(Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal);
  r.finish();
  return blob;
}

}  // namespace recrypt::tpm
