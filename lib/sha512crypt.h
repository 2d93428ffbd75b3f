/* sha512crypt.h - the "$6$" password hash, without libcrypt. */
#ifndef TINYQGA_SHA512CRYPT_H
#define TINYQGA_SHA512CRYPT_H

#define SHA512_CRYPT_MAX 128

/* "$6$<salt>$<hash>" with the default 5000 rounds; salt: up to 16 of
 * [./0-9A-Za-z].  Returns out. */
char *sha512_crypt(const char *key, const char *salt16, char out[SHA512_CRYPT_MAX]);

#endif
