/*
 * The per-connection handle table: growth, removal, lookups by type, and
 * walking it while removing.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "secctxd.h"

#define N	1000

static int	released;

static void
count_release(int type, void *ptr)
{
	(void)type;
	(void)ptr;
	released++;
}

static void
test_many(void **state)
{
	struct handles	h;
	uint64_t	keys[N];
	int		vals[N], i, j;

	(void)state;
	handles_init(&h);
	for (i = 0; i < N; i++) {
		vals[i] = i;
		assert_int_equal(handles_add(&h, i % 2 ? HANDLE_CTX :
		    HANDLE_CRED, &vals[i], &keys[i]), 0);
		assert_true(keys[i] > 1);
		/* Everything added so far is still found, at every size. */
		for (j = 0; j <= i; j += 97)
			assert_ptr_equal(handles_get(&h, keys[j], j % 2 ?
			    HANDLE_CTX : HANDLE_CRED), &vals[j]);
	}
	assert_int_equal(h.count, N);
	/* The wrong type is not found. */
	assert_null(handles_get(&h, keys[0], HANDLE_CTX));
	assert_null(handles_get(&h, keys[1], HANDLE_CRED));
	/* Remove every third; the rest stay, removed ones are gone. */
	for (i = 0; i < N; i += 3)
		assert_ptr_equal(handles_remove(&h, keys[i], i % 2 ?
		    HANDLE_CTX : HANDLE_CRED), &vals[i]);
	for (i = 0; i < N; i++) {
		if (i % 3 == 0)
			assert_null(handles_get(&h, keys[i], i % 2 ?
			    HANDLE_CTX : HANDLE_CRED));
		else
			assert_ptr_equal(handles_get(&h, keys[i], i % 2 ?
			    HANDLE_CTX : HANDLE_CRED), &vals[i]);
	}
	/* Churn: add and remove many times without growing without bound. */
	for (i = 0; i < 20 * N; i++) {
		uint64_t k;

		assert_int_equal(handles_add(&h, HANDLE_CTX, &vals[0], &k), 0);
		assert_ptr_equal(handles_remove(&h, k, HANDLE_CTX), &vals[0]);
	}
	assert_true(h.cap <= 8192);
	assert_null(handles_get(&h, 0, HANDLE_CTX));
	assert_null(handles_get(&h, 1, HANDLE_CTX));
	released = 0;
	handles_clear(&h, count_release);
	assert_int_equal(released, N - (N + 2) / 3);
	assert_int_equal(h.count, 0);
}

/* handles_each: every live handle of the type, even while removing. */
struct each {
	struct handles	*h;
	int		 seen;
};

static void
remove_even(uint64_t key, void *ptr, void *arg)
{
	struct each	*e = arg;

	e->seen++;
	if (*(int *)ptr % 2 == 0)
		assert_ptr_equal(handles_remove(e->h, key, HANDLE_CTX), ptr);
}

static void
test_each(void **state)
{
	struct handles	h;
	struct each	e = { &h, 0 };
	uint64_t	k;
	int		vals[100], i;

	(void)state;
	handles_init(&h);
	for (i = 0; i < 100; i++) {
		vals[i] = i;
		assert_int_equal(handles_add(&h, i < 90 ? HANDLE_CTX :
		    HANDLE_CRED, &vals[i], &k), 0);
	}
	handles_each(&h, HANDLE_CTX, remove_even, &e);
	assert_int_equal(e.seen, 90);
	assert_int_equal(h.count, 55);
	e.seen = 0;
	handles_each(&h, HANDLE_CTX, remove_even, &e);
	assert_int_equal(e.seen, 45);
	released = 0;
	handles_clear(&h, count_release);
	assert_int_equal(released, 55);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many),
		cmocka_unit_test(test_each),
	};

	return (cmocka_run_group_tests(tests, NULL, NULL));
}
