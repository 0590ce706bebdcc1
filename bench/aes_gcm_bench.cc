// Baseline for EWB+ELDU: raw AES-128-GCM seal and open of one 4 KiB page with a
// 128-byte header as additional data, straight through OpenSSL's EVP interface with
// reused contexts. The emulator's paging can approach this floor, not beat it.
#include <benchmark/benchmark.h>
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <cstdlib>

namespace {

void check(int ok) {
  if (ok != 1) std::abort();
}

void BM_AesGcmSealOpen(benchmark::State& state) {
  std::array<uint8_t, 16> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = uint8_t(i * 13 + 1);
  std::array<uint8_t, 12> iv{};
  std::array<uint8_t, 128> aad{};
  std::array<uint8_t, 4096> page{}, sealed{}, opened{};
  for (size_t i = 0; i < page.size(); ++i) page[i] = uint8_t(i);
  std::array<uint8_t, 16> tag{};
  EVP_CIPHER_CTX* enc = EVP_CIPHER_CTX_new();
  EVP_CIPHER_CTX* dec = EVP_CIPHER_CTX_new();
  check(EVP_EncryptInit_ex(enc, EVP_aes_128_gcm(), nullptr, key.data(), nullptr));
  check(EVP_DecryptInit_ex(dec, EVP_aes_128_gcm(), nullptr, key.data(), nullptr));
  uint64_t version = 1;
  for (auto _ : state) {
    for (int i = 0; i < 8; ++i) iv[4 + i] = uint8_t(version >> (8 * i));
    ++version;
    int n = 0;
    check(EVP_EncryptInit_ex(enc, nullptr, nullptr, nullptr, iv.data()));
    check(EVP_EncryptUpdate(enc, nullptr, &n, aad.data(), int(aad.size())));
    check(EVP_EncryptUpdate(enc, sealed.data(), &n, page.data(), int(page.size())));
    check(EVP_EncryptFinal_ex(enc, sealed.data() + n, &n));
    check(EVP_CIPHER_CTX_ctrl(enc, EVP_CTRL_GCM_GET_TAG, 16, tag.data()));
    check(EVP_DecryptInit_ex(dec, nullptr, nullptr, nullptr, iv.data()));
    check(EVP_DecryptUpdate(dec, nullptr, &n, aad.data(), int(aad.size())));
    check(EVP_DecryptUpdate(dec, opened.data(), &n, sealed.data(), int(sealed.size())));
    check(EVP_CIPHER_CTX_ctrl(dec, EVP_CTRL_GCM_SET_TAG, 16, tag.data()));
    check(EVP_DecryptFinal_ex(dec, opened.data() + n, &n));
    benchmark::DoNotOptimize(opened.data());
  }
  EVP_CIPHER_CTX_free(enc);
  EVP_CIPHER_CTX_free(dec);
  state.SetItemsProcessed(int64_t(state.iterations()));
}
BENCHMARK(BM_AesGcmSealOpen);

}  // namespace
