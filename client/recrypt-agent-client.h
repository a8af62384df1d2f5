/* recrypt-agent-client: the recrypt agent from C, for programs that should not speak its
 * JSON-RPC by hand (docs/CLIENT_LIBRARY.md). The agent keeps the user's keys and asks the
 * recryption service; this library talks to it over its Unix socket and does the local part
 * of the .jcd format: encrypting to a group's key, and decrypting the payload once the agent
 * opened the envelope.
 *
 * Handles: one recrypt_agent is one connection. Use it from one thread at a time; open one
 * per thread otherwise.
 *
 * Errors: every function returns a recrypt_agent_status; RECRYPT_AGENT_OK is 0. On failure
 * the handle keeps the error until its next call: recrypt_agent_error_message() for people,
 * the status and recrypt_agent_error_data() for programs. No function aborts or exits on bad
 * input: a NULL pointer where one is required is RECRYPT_AGENT_ERR_ARGUMENT.
 *
 * Memory: what a function hands out (char*, uint8_t*) belongs to the caller, who releases it
 * with recrypt_agent_free(), which wipes it first; it may hold key material (plaintext,
 * document.open's answer). Pointers the handle keeps (error texts) stay valid until the
 * handle's next call or recrypt_agent_close(). Strings are UTF-8 and NUL-terminated.
 */
#ifndef RECRYPT_AGENT_CLIENT_H
#define RECRYPT_AGENT_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct recrypt_agent recrypt_agent;

/* What went wrong. The RPC ones mirror the agent's error codes (docs/AGENT_PROTOCOL.md,
 * "Messages"); recrypt_agent_error_rpc_code() gives the code itself. */
typedef enum recrypt_agent_status {
  RECRYPT_AGENT_OK = 0,
  /* No agent answers at the socket, the socket was refused (a folder others may write to,
   * a peer of another uid), or the agent closed the connection. */
  RECRYPT_AGENT_ERR_UNREACHABLE = 1,
  /* The caller's arguments: a NULL pointer where one is required, an empty group name. */
  RECRYPT_AGENT_ERR_ARGUMENT = 2,
  /* Input that is not what it claims: not a .jcd, a bad envelope or group profile, a
   * parameter the agent found malformed (-32602). */
  RECRYPT_AGENT_ERR_MALFORMED = 3,
  /* The document's payload failed authentication or was cut off: tampered or truncated. */
  RECRYPT_AGENT_ERR_CORRUPT = 4,
  /* Reading or writing a file failed. */
  RECRYPT_AGENT_ERR_IO = 5,
  /* The agent's answer was not understood, or it knows no such method (-32700, -32600,
   * -32601: an older agent) */
  RECRYPT_AGENT_ERR_PROTOCOL = 6,
  /* An internal error, in the agent (-32603) or here (out of memory). */
  RECRYPT_AGENT_ERR_INTERNAL = 7,
  /* -32001: not allowed; e.g. a JWE that is not a document, a document beyond the limits
   * (data.limit). */
  RECRYPT_AGENT_ERR_REFUSED = 8,
  /* -32002: no such profile, group, member, key or device. */
  RECRYPT_AGENT_ERR_NOT_FOUND = 9,
  /* -32003: wrong PIN or passphrase, PIN locked, the prompt cancelled or not shown
   * (data.errc). */
  RECRYPT_AGENT_ERR_AUTH = 10,
  /* -32004: a TPM or token absent or failing (data.errc, data.reasons). */
  RECRYPT_AGENT_ERR_DEVICE = 11,
  /* -32005: the recryption service refused or failed; recrypt_agent_error_service_status()
   * gives its status. */
  RECRYPT_AGENT_ERR_SERVICE = 12,
  /* -32006: nothing this agent holds opens the document; the message lists each
   * recipient's reason, a service's refusal as "service: " and its text (data.reasons). */
  RECRYPT_AGENT_ERR_NOT_DECRYPTABLE = 13,
  /* -32007: already exists. */
  RECRYPT_AGENT_ERR_CONFLICT = 14,
  /* -32008: the user said no at the agent's confirmation prompt (data.kind). */
  RECRYPT_AGENT_ERR_DECLINED = 15,
  /* -32009: the recryption waits for an administrator's review (data.group,
   * data.request): ask again once it was approved. */
  RECRYPT_AGENT_ERR_REVIEW_PENDING = 16
} recrypt_agent_status;

/* A short, stable English name of a status ("unreachable", "not-decryptable", ...); never
 * NULL; static storage. */
const char* recrypt_agent_status_name(recrypt_agent_status status);

/* Connects to the agent at `socket_path`, or where the recrypt CLI looks for it when NULL:
 * $RECRYPT_AGENT_SOCK, else $XDG_RUNTIME_DIR/recrypt/agent.sock, else
 * ${TMPDIR:-/tmp}/recrypt-UID/agent.sock. The socket's folder must be this user's alone and
 * the agent must run as this user (docs/AGENT_PROTOCOL.md, "Transport"); the agent must speak
 * protocol 1 (agent.hello).
 * *out is set to a new handle whether or not it connected, so that a failure can be read
 * from it (NULL only when out of memory, then RECRYPT_AGENT_ERR_INTERNAL); the caller closes
 * it with recrypt_agent_close(). */
recrypt_agent_status recrypt_agent_connect(const char* socket_path, recrypt_agent** out);

/* Closes the connection and frees the handle and the texts it keeps. NULL is ignored. */
void recrypt_agent_close(recrypt_agent* agent);

/* Releases memory this library handed out, wiping it first. NULL is ignored. Only for
 * pointers from this library: the C library's free() must not be used on them. */
void recrypt_agent_free(void* p);

/* The last call's error: its status (RECRYPT_AGENT_OK after a success), its message ("" after
 * a success), the agent's JSON-RPC error code (0 when the error was not the agent's), the
 * error's data as JSON text ("" when none; e.g. {"reasons":[...]}), and for
 * RECRYPT_AGENT_ERR_SERVICE the service's status (data.status; 0 otherwise). The texts belong
 * to the handle, valid until its next call. A NULL handle reads as out of memory. */
recrypt_agent_status recrypt_agent_last_error(const recrypt_agent* agent);
const char* recrypt_agent_error_message(const recrypt_agent* agent);
int recrypt_agent_error_rpc_code(const recrypt_agent* agent);
const char* recrypt_agent_error_data(const recrypt_agent* agent);
int recrypt_agent_error_service_status(const recrypt_agent* agent);

/* The agent's version ("0.1.0") and the user's profile: its account and its service's
 * address, both NULL when the agent has no profile yet (agent.hello, agent.status). Each out
 * pointer may be NULL when not wanted; the strings are the caller's (recrypt_agent_free). */
recrypt_agent_status recrypt_agent_hello(recrypt_agent* agent, char** version, char** account,
                                         char** service);

/* Encrypts `size` bytes at `data` (NULL is allowed when size is 0) to the group `group` (its
 * name or fingerprint, as `recrypt encrypt -r` takes it): the agent hands out the group's
 * signed profile (group.recipient), which is checked, and the encryption happens here, with
 * no key of the user's involved. `name` and `media_type` (each may be NULL) are recorded in
 * the encrypted metadata, as `recrypt encrypt` records the file's name and --type.
 * *jcd and *jcd_size receive the whole .jcd file; the caller frees *jcd. */
recrypt_agent_status recrypt_agent_encrypt_to_group(recrypt_agent* agent, const char* group,
                                                    const uint8_t* data, size_t size,
                                                    const char* name, const char* media_type,
                                                    uint8_t** jcd, size_t* jcd_size);

/* Decrypts a whole .jcd held in memory: the agent opens its envelope (document.open: a
 * device key, or a recryption by the group's service), the payload is decrypted and
 * authenticated here. `name` (may be NULL) is the file's name, shown to the user only if the
 * agent asks before opening. *plaintext and *plaintext_size receive the content (nothing
 * when any of it fails authentication); *info, when not NULL, receives JSON text of what is
 * known about it: {"name","media_type","created"} as recorded, each only when present, and
 * "via", the agent's account of how it opened it. The caller frees *plaintext and *info. */
recrypt_agent_status recrypt_agent_decrypt(recrypt_agent* agent, const uint8_t* jcd,
                                           size_t jcd_size, const char* name, uint8_t** plaintext,
                                           size_t* plaintext_size, char** info);

/* recrypt_agent_decrypt() on the file at `path` (at most 1 GiB); `name` is the file's. */
recrypt_agent_status recrypt_agent_decrypt_file(recrypt_agent* agent, const char* path,
                                                uint8_t** plaintext, size_t* plaintext_size,
                                                char** info);

/* The lower step, for a program that reads the payload itself (docs/FORMAT.md): opens the
 * envelope, line 2 of a .jcd without its "\n" (`envelope_line`). *metadata receives the
 * document's metadata JSON (FORMAT.md §2) with the payload key; it is key material, kept in
 * wiping memory and freed with recrypt_agent_free(). `name` as for recrypt_agent_decrypt(). */
recrypt_agent_status recrypt_agent_open_envelope(recrypt_agent* agent, const char* envelope_line,
                                                 const char* name, char** metadata);

/* Any agent method, for what the functions above do not cover: `params_json` is the JSON
 * object of its parameters (NULL for none), *result_json receives the result's JSON text
 * (kept in wiping memory: some results carry key material). The caller frees it. */
recrypt_agent_status recrypt_agent_call(recrypt_agent* agent, const char* method,
                                        const char* params_json, char** result_json);

#ifdef __cplusplus
}
#endif

#endif /* RECRYPT_AGENT_CLIENT_H */
