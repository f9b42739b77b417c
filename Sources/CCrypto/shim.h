// OpenSSL's libcrypto (the one libpq already links): EVP digests for seed checksums.
#include <openssl/evp.h>
