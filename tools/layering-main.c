/* tools/layering-main.c: the main() of make layering's links, which calls nothing, so
 * that each side's objects are linked with no other side's (Makefile: layering). */
int main(void)
{
	return 0;
}
