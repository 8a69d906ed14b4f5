/*
 * Linked only into the set-id test copies: LeakSanitizer cannot inspect a
 * process the kernel made non-dumpable, which every set-id program is, so
 * it stays off there.  The same code runs leak-checked in every other
 * test.  Without sanitizers nothing calls this.
 */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
