/*
 * The two BIOs a context's SSL object reads and writes, in place of memory
 * BIOs, so that TLS bytes are not copied on their way:
 *
 *  - the input BIO reads straight from the caller's buffer (the request
 *    payload): context.c makes its records visible one whole record at a
 *    time and detaches the buffer before the call returns;
 *  - the output BIO appends to a buffer of the context's own, handed to
 *    the response as it is and freed afterwards, so an idle context holds
 *    none (it holds only records: ciphertext and handshake messages).
 */

#include <stdlib.h>
#include <string.h>

#include "secctxd.h"

struct bio_input {
	const unsigned char	*p;
	size_t			 end;	/* bytes visible */
	size_t			 pos;	/* bytes read */
};

struct bio_output {
	unsigned char	*p;
	size_t		 len;
	size_t		 cap;
};

static BIO_METHOD	*input_method, *output_method;

/* A zeroed state of size bytes for b; 0 out of memory. */
static int
bio_data_new(BIO *b, size_t size)
{
	void	*data;

	if ((data = calloc(1, size)) == NULL)
		return (0);
	BIO_set_data(b, data);
	BIO_set_init(b, 1);
	return (1);
}

static int
input_create(BIO *b)
{
	return (bio_data_new(b, sizeof(struct bio_input)));
}

static int
input_destroy(BIO *b)
{
	free(BIO_get_data(b));
	BIO_set_data(b, NULL);
	return (1);
}

static int
input_read(BIO *b, char *buf, size_t len, size_t *done)
{
	struct bio_input	*in = BIO_get_data(b);
	size_t			 n = in->end - in->pos;

	BIO_clear_retry_flags(b);
	if (n == 0) {
		BIO_set_retry_read(b);
		return (0);
	}
	if (n > len)
		n = len;
	memcpy(buf, in->p + in->pos, n);
	in->pos += n;
	*done = n;
	return (1);
}

static long
input_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct bio_input	*in = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_PENDING:
		return ((long)(in->end - in->pos));
	case BIO_CTRL_FLUSH:
		return (1);
	default:
		return (0);
	}
}

static int
output_create(BIO *b)
{
	return (bio_data_new(b, sizeof(struct bio_output)));
}

static int
output_destroy(BIO *b)
{
	struct bio_output	*out = BIO_get_data(b);

	if (out != NULL)
		free(out->p);
	free(out);
	BIO_set_data(b, NULL);
	return (1);
}

/*
 * Room for n more bytes; 0 out of memory.  Doubles, so that records
 * written one by one cost few reallocs, but never past what one large
 * reservation asks for.
 */
static int
output_grow(struct bio_output *out, size_t n)
{
	unsigned char	*p;
	size_t		 cap;

	if (out->cap - out->len >= n)
		return (1);
	if (n > SIZE_MAX / 2 - out->len)
		return (0);
	cap = out->cap > 0 ? out->cap * 2 : 4096;
	if (cap < out->len + n)
		cap = out->len + n;
	if ((p = realloc(out->p, cap)) == NULL)
		return (0);
	out->p = p;
	out->cap = cap;
	return (1);
}

static int
output_write(BIO *b, const char *buf, size_t len, size_t *done)
{
	struct bio_output	*out = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (!output_grow(out, len))
		return (0);
	memcpy(out->p + out->len, buf, len);
	out->len += len;
	*done = len;
	return (1);
}

static long
output_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct bio_output	*out = BIO_get_data(b);

	(void)num;
	(void)ptr;
	switch (cmd) {
	case BIO_CTRL_WPENDING:
		return ((long)out->len);
	case BIO_CTRL_FLUSH:
		return (1);
	default:
		return (0);
	}
}

/* At start, before any thread makes a context; 0 out of memory. */
int
tls_bio_init(void)
{
	input_method = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK,
	    "secctx input");
	output_method = BIO_meth_new(BIO_get_new_index() |
	    BIO_TYPE_SOURCE_SINK, "secctx output");
	if (input_method == NULL || output_method == NULL ||
	    !BIO_meth_set_create(input_method, input_create) ||
	    !BIO_meth_set_destroy(input_method, input_destroy) ||
	    !BIO_meth_set_read_ex(input_method, input_read) ||
	    !BIO_meth_set_ctrl(input_method, input_ctrl) ||
	    !BIO_meth_set_create(output_method, output_create) ||
	    !BIO_meth_set_destroy(output_method, output_destroy) ||
	    !BIO_meth_set_write_ex(output_method, output_write) ||
	    !BIO_meth_set_ctrl(output_method, output_ctrl))
		return (0);
	return (1);
}

void
tls_bio_cleanup(void)
{
	BIO_meth_free(input_method);
	BIO_meth_free(output_method);
	input_method = output_method = NULL;
}

BIO *
tls_bio_input_new(void)
{
	return (BIO_new(input_method));
}

BIO *
tls_bio_output_new(void)
{
	return (BIO_new(output_method));
}

/* The caller's bytes, none visible yet (p NULL: detach). */
void
tls_bio_input_set(BIO *b, const unsigned char *p)
{
	struct bio_input	*in = BIO_get_data(b);

	in->p = p;
	in->end = in->pos = 0;
}

/* n more bytes of them visible. */
void
tls_bio_input_extend(BIO *b, size_t n)
{
	struct bio_input	*in = BIO_get_data(b);

	in->end += n;
}

/* Room for n more output bytes in one piece; 0 out of memory. */
int
tls_bio_output_reserve(BIO *b, size_t n)
{
	return (output_grow(BIO_get_data(b), n));
}

void
tls_bio_output_get(BIO *b, const unsigned char **p, size_t *len)
{
	struct bio_output	*out = BIO_get_data(b);

	*p = out->len > 0 ? out->p : NULL;
	*len = out->len;
}

/* The output was sent: free it. */
void
tls_bio_output_reset(BIO *b)
{
	struct bio_output	*out = BIO_get_data(b);

	free(out->p);
	out->p = NULL;
	out->len = out->cap = 0;
}
