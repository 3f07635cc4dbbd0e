/*
 * Batched UDP datagram I/O for the DNS server, as a Node-API addon.
 *
 * Why C: answering a cluster name costs ~2.5 us of JS, but Node 20's dgram spends several
 * times that per packet on the socket path (one recvmsg, one sendto, one JS callback and one
 * SendWrap each). Node cannot batch datagram syscalls itself: dgram has no recvmmsg/sendmmsg
 * and no SO_REUSEPORT. This is the product's hot path, so this file owns the socket and moves
 * up to BATCH_MAX datagrams per syscall and per JS call.
 *
 * How: the socket is polled on Node's own libuv loop (uv_poll_t, no threads). When readable,
 * recvmmsg(MSG_DONTWAIT) fills one input slab (fixed slots) and a metadata Int32Array; ONE
 * JS callback handles the whole batch and writes each synchronous answer into an output slab
 * (offset + length in the metadata); back here, one sendmmsg sends every answer to the
 * address its query came from. Late (forwarded) answers go out through sendTo().
 *
 * Metadata, META_STRIDE int32 per slot (the JS side reads the same layout, udp-batch-layout.ts):
 *   [0] datagram length, -1 = larger than a slot (dropped unread)   [1] family 4 | 6
 *   [2] source port   [3] answer offset in the output slab   [4] answer length (0 = none)
 *   [8..11] the source address bytes (4 or 16)
 */
#define _GNU_SOURCE /* recvmmsg, sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <node_api.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#define BATCH_MAX 256
/* A slot holds at least a classic 512-byte DNS datagram plus the byte that flags an oversized one. */
#define MIN_SLOT_BYTES 513
#define META_STRIDE 12
#define META_ADDRESS_BYTE 32
/* Batches drained per readable event before yielding to the rest of the event loop. */
#define DRAIN_BATCHES_PER_WAKE 16

typedef struct {
  napi_env env;
  int fd;
  int family;
  int started;
  int closing;
  int close_done;
  int finalized;
  uv_poll_t poll;
  napi_ref on_batch;
  napi_ref slabs[3];
  napi_async_context async_context;
  uint8_t *in;
  size_t slot_bytes;
  int32_t *meta;
  uint8_t *out;
  size_t out_bytes;
  unsigned batch;
  double batches;
  double datagrams;
  double send_drops;
  struct mmsghdr rmsg[BATCH_MAX];
  struct iovec riov[BATCH_MAX];
  struct sockaddr_storage addr[BATCH_MAX];
  struct mmsghdr smsg[BATCH_MAX];
  struct iovec siov[BATCH_MAX];
} batch_socket;

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  const char *code = err == EADDRINUSE ? "EADDRINUSE" : err == EADDRNOTAVAIL ? "EADDRNOTAVAIL" : err == EACCES ? "EACCES" : "EUDPBATCH";
  napi_throw_error(env, code, msg);
  return NULL;
}

static int parse_address(const char *host, int port, struct sockaddr_storage *ss, socklen_t *len) {
  memset(ss, 0, sizeof *ss);
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    *len = sizeof *v4;
    return AF_INET;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    *len = sizeof *v6;
    return AF_INET6;
  }
  return -1;
}

static batch_socket *unwrap(napi_env env, napi_value v) {
  void *p = NULL;
  if (napi_get_value_external(env, v, &p) != napi_ok || p == NULL) {
    napi_throw_type_error(env, NULL, "expected a udp-batch handle");
    return NULL;
  }
  return (batch_socket *)p;
}

/*
 * Reads exactly `want` arguments into argv (want <= 6) and returns the handle in argv[0];
 * throws a TypeError and returns NULL when an argument is missing or the first is no handle.
 */
static batch_socket *handle_arguments(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want) {
    napi_throw_type_error(env, NULL, "udp-batch: missing arguments");
    return NULL;
  }
  return unwrap(env, argv[0]);
}

static void release_if_done(batch_socket *s) {
  if (s->close_done && s->finalized) free(s);
}

static void on_poll_closed(uv_handle_t *h) {
  batch_socket *s = (batch_socket *)h->data;
  s->close_done = 1;
  release_if_done(s);
}

/* Stops polling, closes the fd, drops the JS references. Safe to call twice. */
static void shut(batch_socket *s, int from_finalizer) {
  if (s->closing) return;
  s->closing = 1;
  if (!from_finalizer) {
    for (int i = 0; i < 3; i++)
      if (s->slabs[i]) napi_delete_reference(s->env, s->slabs[i]), s->slabs[i] = NULL;
    if (s->on_batch) napi_delete_reference(s->env, s->on_batch), s->on_batch = NULL;
    if (s->async_context) napi_async_destroy(s->env, s->async_context), s->async_context = NULL;
  }
  if (s->started) {
    uv_poll_stop(&s->poll);
    uv_close((uv_handle_t *)&s->poll, on_poll_closed);
  } else {
    s->close_done = 1;
  }
  if (s->fd >= 0) close(s->fd), s->fd = -1;
}

static void finalize(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  batch_socket *s = (batch_socket *)data;
  shut(s, 1);
  s->finalized = 1;
  release_if_done(s);
}

/* open(host, port, reusePort, bufferBytes) -> handle */
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char host[64];
  size_t host_len = 0;
  int32_t port = 0, buffer_bytes = 0;
  bool reuse_port = false;
  if (argc < 4 || napi_get_value_string_utf8(env, argv[0], host, sizeof host, &host_len) != napi_ok ||
      napi_get_value_int32(env, argv[1], &port) != napi_ok || napi_get_value_bool(env, argv[2], &reuse_port) != napi_ok ||
      napi_get_value_int32(env, argv[3], &buffer_bytes) != napi_ok || port < 0 || port > 65535) {
    napi_throw_type_error(env, NULL, "open(host, port, reusePort, bufferBytes)");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t ss_len;
  int family = parse_address(host, port, &ss, &ss_len);
  if (family < 0) {
    napi_throw_type_error(env, NULL, "open: host must be an IPv4 or IPv6 address");
    return NULL;
  }
  int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, "socket", errno);
  int one = 1;
  if (reuse_port && setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "setsockopt SO_REUSEPORT", e);
  }
  /* Best effort: capped by net.core.rmem_max / wmem_max, the default still works. */
  if (buffer_bytes > 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  if (bind(fd, (struct sockaddr *)&ss, ss_len) != 0) {
    int e = errno;
    close(fd);
    return throw_errno(env, "bind", e);
  }
  batch_socket *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  s->env = env;
  s->fd = fd;
  s->family = family;
  napi_value handle;
  if (napi_create_external(env, s, finalize, NULL, &handle) != napi_ok) {
    close(fd);
    free(s);
    return NULL;
  }
  return handle;
}

static napi_value js_local_port(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  batch_socket *s = handle_arguments(env, info, 1, argv);
  if (!s) return NULL;
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (s->fd < 0 || getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0) return throw_errno(env, "getsockname", s->fd < 0 ? EBADF : errno);
  int port = ss.ss_family == AF_INET ? ntohs(((struct sockaddr_in *)&ss)->sin_port) : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
  napi_value v;
  napi_create_int32(env, port, &v);
  return v;
}

/* Fills the metadata of slot i from what recvmmsg wrote (length, flags, source). */
static void record_slot(batch_socket *s, unsigned i) {
  int32_t *m = s->meta + (size_t)i * META_STRIDE;
  unsigned len = s->rmsg[i].msg_len;
  int truncated = (s->rmsg[i].msg_hdr.msg_flags & MSG_TRUNC) != 0 || len >= s->slot_bytes;
  m[0] = truncated ? -1 : (int32_t)len;
  m[3] = 0;
  m[4] = 0;
  uint8_t *addr = (uint8_t *)m + META_ADDRESS_BYTE;
  if (s->addr[i].ss_family == AF_INET6) {
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&s->addr[i];
    m[1] = 6;
    m[2] = ntohs(a->sin6_port);
    memcpy(addr, &a->sin6_addr, 16);
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&s->addr[i];
    m[1] = 4;
    m[2] = ntohs(a->sin_port);
    memcpy(addr, &a->sin_addr, 4);
  }
}

/* Sends the answers the JS side left in the output slab; a full send buffer drops the rest. */
static void send_answers(batch_socket *s, unsigned n) {
  unsigned count = 0;
  for (unsigned i = 0; i < n; i++) {
    int32_t *m = s->meta + (size_t)i * META_STRIDE;
    int32_t off = m[3], len = m[4];
    if (len <= 0 || off < 0 || (size_t)off + (size_t)len > s->out_bytes) continue;
    s->siov[count].iov_base = s->out + off;
    s->siov[count].iov_len = (size_t)len;
    struct msghdr *h = &s->smsg[count].msg_hdr;
    memset(h, 0, sizeof *h);
    h->msg_name = &s->addr[i];
    h->msg_namelen = s->addr[i].ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    h->msg_iov = &s->siov[count];
    h->msg_iovlen = 1;
    count++;
  }
  unsigned sent = 0;
  while (sent < count) {
    int r = sendmmsg(s->fd, s->smsg + sent, count - sent, MSG_DONTWAIT);
    if (r > 0) {
      sent += (unsigned)r;
      continue;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
      s->send_drops += count - sent;
      return;
    }
    /* This one destination failed (e.g. unreachable): skip it, send the others. */
    s->send_drops += 1;
    sent++;
  }
}

/* Calls the JS batch callback; an exception becomes an uncaught exception of the process. */
static int call_js(batch_socket *s, unsigned n) {
  napi_env env = s->env;
  napi_value cb, recv, arg, result;
  if (napi_get_reference_value(env, s->on_batch, &cb) != napi_ok || cb == NULL) return -1;
  napi_get_global(env, &recv); /* MakeCallback needs an object as receiver */
  napi_create_uint32(env, n, &arg);
  napi_status st = napi_make_callback(env, s->async_context, recv, cb, 1, &arg, &result);
  if (st != napi_ok) {
    bool pending = false;
    napi_is_exception_pending(env, &pending);
    if (pending) {
      napi_value err;
      napi_get_and_clear_last_exception(env, &err);
      napi_fatal_exception(env, err);
    }
    return -1;
  }
  return 0;
}

static void on_readable(uv_poll_t *handle, int status, int events) {
  batch_socket *s = (batch_socket *)handle->data;
  if (status < 0 || !(events & UV_READABLE) || s->closing) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  for (int round = 0; round < DRAIN_BATCHES_PER_WAKE && !s->closing; round++) {
    for (unsigned i = 0; i < s->batch; i++) {
      s->rmsg[i].msg_hdr.msg_namelen = sizeof s->addr[i];
      s->rmsg[i].msg_hdr.msg_flags = 0;
    }
    int n = recvmmsg(s->fd, s->rmsg, s->batch, MSG_DONTWAIT, NULL);
    if (n <= 0) break; /* EAGAIN: drained; other errors: try again on the next wake */
    for (unsigned i = 0; i < (unsigned)n; i++) record_slot(s, i);
    s->batches += 1;
    s->datagrams += n;
    if (call_js(s, (unsigned)n) != 0 || s->closing) break;
    send_answers(s, (unsigned)n);
    if ((unsigned)n < s->batch) break;
  }
  napi_close_handle_scope(s->env, scope);
}

static int get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is_buffer = false, is_typed = false;
  napi_is_buffer(env, v, &is_buffer);
  if (is_buffer) return napi_get_buffer_info(env, v, data, len) == napi_ok ? 0 : -1;
  napi_is_typedarray(env, v, &is_typed);
  if (!is_typed) return -1;
  napi_typedarray_type type;
  size_t length, offset;
  napi_value ab;
  if (napi_get_typedarray_info(env, v, &type, &length, data, &ab, &offset) != napi_ok || type != napi_int32_array) return -1;
  *len = length * sizeof(int32_t);
  return 0;
}

/* start(handle, inSlab: Buffer, meta: Int32Array, outSlab: Buffer, batch, onBatch(n)) */
static napi_value js_start(napi_env env, napi_callback_info info) {
  napi_value argv[6];
  batch_socket *s = handle_arguments(env, info, 6, argv);
  if (!s) return NULL;
  if (s->started || s->closing) {
    napi_throw_error(env, NULL, "start: already started or closed");
    return NULL;
  }
  void *in, *meta, *out;
  size_t in_len, meta_len, out_len;
  uint32_t batch = 0;
  napi_valuetype cb_type;
  napi_typeof(env, argv[5], &cb_type);
  if (get_bytes(env, argv[1], &in, &in_len) || get_bytes(env, argv[2], &meta, &meta_len) || get_bytes(env, argv[3], &out, &out_len) ||
      napi_get_value_uint32(env, argv[4], &batch) != napi_ok || batch == 0 || batch > BATCH_MAX || cb_type != napi_function ||
      meta_len < (size_t)batch * META_STRIDE * sizeof(int32_t) || in_len / batch < MIN_SLOT_BYTES) {
    napi_throw_type_error(env, NULL, "start(handle, inSlab, meta Int32Array, outSlab, batch 1..256, onBatch)");
    return NULL;
  }
  s->in = in;
  s->slot_bytes = in_len / batch;
  s->meta = meta;
  s->out = out;
  s->out_bytes = out_len;
  s->batch = batch;
  for (int i = 0; i < 3; i++) napi_create_reference(env, argv[i + 1], 1, &s->slabs[i]);
  napi_create_reference(env, argv[5], 1, &s->on_batch);
  napi_value resource, name;
  napi_create_object(env, &resource);
  napi_create_string_utf8(env, "SkiffUdpBatch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, resource, name, &s->async_context);
  for (unsigned i = 0; i < batch; i++) {
    s->riov[i].iov_base = s->in + (size_t)i * s->slot_bytes;
    s->riov[i].iov_len = s->slot_bytes;
    memset(&s->rmsg[i].msg_hdr, 0, sizeof s->rmsg[i].msg_hdr);
    s->rmsg[i].msg_hdr.msg_name = &s->addr[i];
    s->rmsg[i].msg_hdr.msg_iov = &s->riov[i];
    s->rmsg[i].msg_hdr.msg_iovlen = 1;
  }
  uv_loop_t *loop;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || uv_poll_init(loop, &s->poll, s->fd) != 0) {
    napi_throw_error(env, NULL, "start: uv_poll_init failed");
    return NULL;
  }
  s->poll.data = s;
  s->started = 1;
  uv_poll_start(&s->poll, UV_READABLE, on_readable);
  return NULL;
}

/* sendTo(handle, packet: Buffer, address: string, port): one datagram; false when not sent. */
static napi_value js_send_to(napi_env env, napi_callback_info info) {
  napi_value argv[4];
  batch_socket *s = handle_arguments(env, info, 4, argv);
  if (!s) return NULL;
  void *data;
  size_t len, host_len;
  char host[64];
  int32_t port;
  bool is_buffer = false;
  napi_is_buffer(env, argv[1], &is_buffer);
  if (!is_buffer || napi_get_buffer_info(env, argv[1], &data, &len) != napi_ok ||
      napi_get_value_string_utf8(env, argv[2], host, sizeof host, &host_len) != napi_ok || napi_get_value_int32(env, argv[3], &port) != napi_ok) {
    napi_throw_type_error(env, NULL, "sendTo(handle, packet, address, port)");
    return NULL;
  }
  struct sockaddr_storage ss;
  socklen_t ss_len;
  bool ok = false;
  if (s->fd >= 0 && parse_address(host, port, &ss, &ss_len) >= 0) {
    ssize_t r;
    do r = sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&ss, ss_len);
    while (r < 0 && errno == EINTR);
    ok = r == (ssize_t)len;
    if (!ok) s->send_drops += 1;
  }
  napi_value v;
  napi_get_boolean(env, ok, &v);
  return v;
}

/* stats(handle) -> [batches, datagrams, answers dropped by a full send buffer or an error] */
static napi_value js_stats(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  batch_socket *s = handle_arguments(env, info, 1, argv);
  if (!s) return NULL;
  napi_value arr, v;
  napi_create_array_with_length(env, 3, &arr);
  double values[3] = {s->batches, s->datagrams, s->send_drops};
  for (uint32_t i = 0; i < 3; i++) {
    napi_create_double(env, values[i], &v);
    napi_set_element(env, arr, i, v);
  }
  return arr;
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  batch_socket *s = handle_arguments(env, info, 1, argv);
  if (s) shut(s, 0);
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"open", NULL, js_open, NULL, NULL, NULL, napi_default, NULL},
      {"localPort", NULL, js_local_port, NULL, NULL, NULL, napi_default, NULL},
      {"start", NULL, js_start, NULL, NULL, NULL, napi_default, NULL},
      {"sendTo", NULL, js_send_to, NULL, NULL, NULL, napi_default, NULL},
      {"stats", NULL, js_stats, NULL, NULL, NULL, napi_default, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_default, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}

NAPI_MODULE(skiff_udp_batch, init)
