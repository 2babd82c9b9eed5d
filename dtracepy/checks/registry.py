"""The list of checks: name, family, severity, and what each one finds.

Each family module (``lifecycle``, ``printf``, ``names``, ``safety``, ``rules``, ``tracer``) has a ``run(ctx)`` generator
that yields :class:`~dtracepy.checks.Finding` objects tagged with one of the names below; the
severity of a finding is normally the one listed here (a few checks pick ``error`` or ``warning``
per finding and say so in their summary).
"""

from __future__ import annotations

import attrs


@attrs.frozen(slots=False)  # cheaper to define on every `dtracepy check`
class CheckInfo:
    name: str
    family: str
    severity: str
    summary: str


CHECKS: tuple[CheckInfo, ...] = (
    # thread-local lifecycle
    CheckInfo("self-unused", "lifecycle", "warning", "a thread-local is assigned but never read"),
    CheckInfo("self-zero-unassigned", "lifecycle", "warning",
              "a thread-local is zeroed but never assigned (usually a typo; says 'did you mean')"),
    CheckInfo("self-leak", "lifecycle", "error",
              "a thread-local assigned at :entry (or at sched:::on-cpu, off-cpu, io:::wait-start, "
              "sdt:::interrupt-start) is never zeroed (error when the matching :return, or the probe "
              "that ends the span, has a cleanup clause that misses it, warning otherwise)"),
    CheckInfo("self-read-unset", "lifecycle", "warning",
              "a thread-local is read in a clause that can fire before any assignment "
              "(no guarding predicate, no earlier assignment in the same firing)"),
    CheckInfo("self-undefined", "lifecycle", "error",
              "a thread-local is read but never assigned or declared anywhere"),
    # printf / printa
    CheckInfo("printf-args", "printf", "error",
              "a printf-like format has more or fewer conversions than arguments"),
    CheckInfo("printf-type", "printf", "error",
              "a conversion does not accept the argument's known type (%s with an integer, %d with a string)"),
    CheckInfo("printf-agg-conv", "printf", "error", "%@ used outside printa"),
    CheckInfo("printf-format", "printf", "error",
              "a malformed format string or a format that is not a string constant"),
    CheckInfo("string-nul", "printf", "warning",
              "a string constant with text after a NUL (\"a\\0b\", a tracer's \"a\\x00b\"), which dtrace "
              "drops: it keeps a string constant up to its first NUL"),
    CheckInfo("printa-args", "printf", "error",
              "printa without an aggregation, or given something that is not an aggregation"),
    CheckInfo("void-value", "printf", "error",
              "a call that returns nothing (printf(), trace(), exit() ...) used as a value: "
              "x = printf(\"\");, trace(printf(\"\")), pid ? printf(\"\") : 2; an action as a branch "
              "of ?: or an operand of the comma operator"),
    # names
    CheckInfo("keyword-name", "names", "error", "a D keyword used as an identifier"),
    CheckInfo("this-unset", "names", "warning",
              "a clause-local is read before it is assigned in the same firing"),
    CheckInfo("macro-arg", "names", "error",
              "a macro argument ($N) beyond those the script documents or is given"),
    CheckInfo("agg-mismatch", "names", "error",
              "one aggregation used with two different functions, numbers of keys, or lquantize/"
              "llquantize parameters"),
    CheckInfo("unknown-function", "names", "error",
              "a call of a name that is no D action, subroutine or aggregating function, or of a "
              "kernel symbol (warning when the script uses the C preprocessor)"),
    CheckInfo("dialect-function", "names", "error",
              "a function the chosen dialect lacks or has not implemented (check --dialect, or a tracer "
              "compiled for a dialect: strtoll(), jstack() in oracle)"),
    CheckInfo("dialect-variable", "names", "error",
              "a built-in or library variable the chosen dialect lacks (check --dialect, or a tracer "
              "compiled for a dialect: zonename in oracle), or a member its translator leaves undefined "
              "(curpsinfo->pr_psargs in oracle)"),
    CheckInfo("function-value", "names", "error",
              "a function named without a call, as a value (@a = count;, trace(exit))"),
    CheckInfo("call-arity", "names", "error",
              "an action, subroutine or aggregating function called with the wrong number of arguments"),
    CheckInfo("undefined-name", "names", "warning",
              "an identifier that is no built-in variable and is never declared, defined or assigned"),
    CheckInfo("dialect-if", "names", "error", "if/else in a dialect that has none (oracle)"),
    CheckInfo("dialect-anonymous-member", "names", "error",
              "an unnamed struct or union member in a dialect that has none (oracle)"),
    CheckInfo("dialect-bodyless", "names", "error",
              "a clause without a body (desc /pred/) in a dialect that has none (oracle)"),
    CheckInfo("dialect-provider", "names", "error",
              "a provider definition in a dialect whose dtrace crashes compiling one but with dtrace -h "
              "of a file of provider definitions alone (oracle: a segmentation fault with -s or -e)"),
    CheckInfo("global-unset", "names", "error",
              "a global a tracer made with glob is read but never assigned or declared"),
    # safety
    CheckInfo("destructive", "safety", "error",
              "a destructive action without -w or #pragma D option destructive"),
    CheckInfo("probe-desc", "safety", "error", "a malformed probe description"),
    CheckInfo("pragma", "safety", "error",
              "a #pragma D line D rejects: an unknown D pragma or option (with a did-you-mean), "
              "superfluous words, or a value the option does not take"),
    CheckInfo("probe-name", "safety", "error",
              "a misspelled well-known provider (sycall) or a probe its provider does not have "
              "(tcp:::recieve), or a short description read from the right (syscall::read is "
              ":syscall::read), with did-you-mean; a warning for a bare provider no DTrace dtracepy "
              "knows has (pidgin:::entry)"),
    CheckInfo("strlen-aggregation", "safety", "warning",
              "in a dialect whose strlen() corrupts aggregations (oracle): strlen() of a string that may "
              "hold 18 bytes or more, then an aggregation updated in the same clause"),
    CheckInfo("speculation", "safety", "error",
              "speculate() not first or twice in its clause, or with an aggregation, a destructive "
              "action, exit(), commit() or discard(); commit() with a data-recording action"),
    # what every D compiler refuses (dtracepy/checks/rules.py): a tracer gets these from the compiler,
    # always as errors; dtracepy check runs them on D files
    CheckInfo("assigned-read-only", "rules", "error",
              "a built-in variable, a variable of D's libraries or a library constant assigned"),
    CheckInfo("aggregation-value", "rules", "error",
              "an aggregating function anywhere but assigned to an aggregation, or an aggregation "
              "anywhere but assigned or given to printa, clear, trunc, normalize, denormalize"),
    CheckInfo("constant-argument", "rules", "error",
              "an argument that must be an integer constant in a range (stack(n), lquantize's ...) "
              "that is not"),
    CheckInfo("used-before-assigned", "rules", "error",
              "a variable or aggregation read (or updated with +=) above its first assignment or "
              "declaration in the program text, or an aggregation never assigned; an enumerator named "
              "above its enum, an inline named above it in a declaration"),
    CheckInfo("empty-program", "rules", "error",
              "a program without a probe clause (a warning for a D file of declarations only, which "
              "may be a D library)"),
    CheckInfo("argument-type", "rules", "error",
              "an argument of a kind the function does not take (strlen(12), htons(\"a\"))"),
    CheckInfo("inline-type", "rules", "error",
              "an inline whose value is of another kind than its type (inline int f = \"a\";)"),
    CheckInfo("cpp-directive", "rules", "error",
              "a C preprocessor line (#define, #include, #if ...) in a script read without -C, which "
              "dtrace refuses (a warning when no #! line says how the script is run)"),
    CheckInfo("shebang", "rules", "warning",
              "a #! line that cannot start dtrace as ./x.d: blanks among its flags (the kernel "
              "passes them as one argument), a letter dtrace does not know, words after -s"),
    CheckInfo("parser-stack", "rules", "error",
              "an expression nested deeper than dtrace's parser stack holds (\"memory exhausted\"): "
              "a chain of about 10,000 prefix operators, 3,300 casts, 5,000 assignments or 2,500 "
              "conditionals"),
    CheckInfo("dereferences", "rules", "error",
              "a clause of more pointer dereferences (->) than a dialect's compiler can jump across "
              "(Oracle's D 2.0: 16,382; dtrace aborts); a warning when no dialect was chosen"),
    CheckInfo("hidden-character", "rules", "warning",
              "a character that shows as something else or as nothing (a bidirectional override, "
              "zero-width or format character, C1 control, line separator: \"Trojan source\")"),
    # what every D compiler refuses in a D file's declarations (dtracepy/checks/declarations.py)
    CheckInfo("type-combination", "rules", "error",
              "type specifiers that name no type (char int, short long, unsigned float, two struct "
              "definitions without a ; between them)"),
    CheckInfo("redeclared", "rules", "error",
              "a name declared again as something else: a variable of another type, a typedef of a "
              "type, an inline, variable or enumerator named as a built-in, a function, a library "
              "constant or another declaration, a struct member twice, a struct defined twice"),
    CheckInfo("incomplete-type", "rules", "error",
              "a struct member of a struct type defined only below it (or of the struct itself); a struct "
              "defined inside another's body, named by its tag (-> through it, a member of it), which "
              "Oracle's D knows only as a forward declaration (error for oracle, warning without a dialect)"),
    CheckInfo("division-by-zero", "rules", "error", "a division or modulo by a constant expression that is 0"),
    CheckInfo("declaration", "rules", "error",
              "a declaration D refuses: two storage classes or static/register, a bit-field of a "
              "non-integer type or of a size its type cannot hold, an array without a positive "
              "dimension, an enumerator beyond an int, a translator to a type that is no struct or "
              "twice, a clause-local associative array"),
    CheckInfo("operand-type", "rules", "error",
              "a string where an integer or scalar is needed (\"a\" & 1, !execname, s++), added to a "
              "string, compared with an integer, beside an integer as a branch of ?:, cast to a pointer or "
              "integer, a predicate, or assigned to a variable typed int (and the converse); a translator "
              "member given a value of the other kind"),
    CheckInfo("aggregation-argument", "rules", "error",
              "clear(), trunc(), normalize() or denormalize() given something that is not an aggregation"),
    CheckInfo("printa-keys", "rules", "error",
              "printa() of aggregations whose keys differ in number or kind"),
    CheckInfo("key-type", "rules", "error",
              "an aggregation's or associative array's key of another kind than at its first use "
              "(@a[execname] and @a[pid]; a[1] and a[\"x\"]), or than its declaration's prototype says "
              "(int x[string]; x[3]; inline int f[int a] ... f[\"x\"])"),
    CheckInfo("array-use", "rules", "error",
              "a declared array given two keys or a constant index beyond it, a clause-local used as "
              "an associative array, an associative array (or args) named without a key, a variable "
              "given an element then used whole (self->a[1] = 2; ... self->a = 3), args[i] where the "
              "probe has no typed arguments (BEGIN, END, ERROR, profile-N, tick-N)"),
    CheckInfo("offsetof-member", "rules", "error",
              "offsetof() of a type that is no struct or union, or of a member the program's struct lacks"),
    CheckInfo("member-name", "rules", "error",
              "a member the program's own struct or union lacks: ((struct foo *)p)->b, this->x->b of a "
              "this struct foo *x, s.b, a translator's member its output struct lacks"),
    CheckInfo("xlate", "rules", "error",
              "xlate<struct foo>(x) of a struct the program defines, with no translator of the program to "
              "it, or none taking x's kind (a string, an integer); xlate<psinfo_t *>(x) of a type the D "
              "library's translators to it do not take"),
    CheckInfo("address-of-variable", "rules", "error",
              "&x of a variable D keeps itself (a global, an associative array element, self->x, "
              "this->x, a built-in variable, an inline)"),
    # tracers built with the DSL (the compiler's own rules; never for a .d file)
    CheckInfo("self-clear", "tracer", "error",
              "a thread-local set where no return probe can zero it (or an associative array), "
              "with no t.clear(...) or t.keep(...)"),
    CheckInfo("clear-unused", "tracer", "error", "t.clear(...) or t.keep(...) of a thread-local never set"),
    # the checker's own comments
    CheckInfo("directive", "directives", "error",
              "a /* dtracepy: ignore[...] */ or disable[...] comment naming no known check, or a bad args=N"),
)

BY_NAME = {info.name: info for info in CHECKS}
FAMILIES = ("lifecycle", "printf", "names", "safety", "rules", "tracer", "directives")

#: The compiler's own rules: run on every tracer it compiles, even with checks off, and always
#: errors there (a D program breaking them would be wrong, not just suspect).
COMPILER_RULES = frozenset({"self-undefined", "this-unset", "global-unset", "self-clear", "clear-unused",
                            "dialect-function", "dialect-variable"})


def severity(name: str) -> str:
    return BY_NAME[name].severity
