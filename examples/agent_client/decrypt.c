/* Decrypts a .jcd file to stdout through the user's recrypt agent, with the C client library:
 *
 *   cc decrypt.c $(pkg-config --cflags --libs recrypt-agent-client) -o recrypt-decrypt-example
 *   ./recrypt-decrypt-example report.pdf.jcd > report.pdf
 *
 * With -e GROUP it does the reverse: stdin encrypted to GROUP, the .jcd on stdout.
 * Exit status: 0, or 1 with the library's status name and message on stderr. */
#include <recrypt-agent-client.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failed(recrypt_agent* agent, recrypt_agent_status status) {
  fprintf(stderr, "recrypt-decrypt-example: %s: %s\n", recrypt_agent_status_name(status),
          recrypt_agent_error_message(agent));
  recrypt_agent_close(agent);
  return 1;
}

/* All of stdin, or NULL when out of memory. */
static unsigned char* read_stdin(size_t* size) {
  size_t cap = 65536;
  unsigned char* buf = malloc(cap);
  *size = 0;
  while (buf != NULL) {
    size_t n = fread(buf + *size, 1, cap - *size, stdin);
    *size += n;
    if (n == 0) break;
    if (*size == cap) {
      unsigned char* bigger = realloc(buf, cap * 2);
      if (bigger == NULL) free(buf);
      buf = bigger;
      cap *= 2;
    }
  }
  return buf;
}

int main(int argc, char** argv) {
  recrypt_agent* agent = NULL;
  recrypt_agent_status status;
  uint8_t* out = NULL;
  size_t size = 0;

  if (argc != 2 && !(argc == 3 && strcmp(argv[1], "-e") == 0)) {
    fprintf(stderr, "usage: %s FILE.jcd | -e GROUP\n", argv[0]);
    return 2;
  }
  status = recrypt_agent_connect(NULL, &agent); /* where the recrypt CLI looks */
  if (status != RECRYPT_AGENT_OK) return failed(agent, status);

  if (argc == 3) {
    size_t in_size = 0;
    unsigned char* in = read_stdin(&in_size);
    if (in == NULL) {
      fprintf(stderr, "recrypt-decrypt-example: out of memory\n");
      recrypt_agent_close(agent);
      return 1;
    }
    status = recrypt_agent_encrypt_to_group(agent, argv[2], in, in_size, NULL, NULL, &out, &size);
    free(in);
  } else {
    char* info = NULL;
    status = recrypt_agent_decrypt_file(agent, argv[1], &out, &size, &info);
    if (status == RECRYPT_AGENT_OK) fprintf(stderr, "%s\n", info);
    recrypt_agent_free(info);
  }
  if (status != RECRYPT_AGENT_OK) return failed(agent, status);
  if (fwrite(out, 1, size, stdout) != size || fflush(stdout) != 0) {
    perror("recrypt-decrypt-example: stdout");
    recrypt_agent_free(out);
    recrypt_agent_close(agent);
    return 1;
  }
  recrypt_agent_free(out); /* wipes the plaintext */
  recrypt_agent_close(agent);
  return 0;
}
