# The external base images of a Dockerfile (on stdin), one a line: the twin of
# src/upstream/from.rs, rule for rule (read its comment). POSIX awk (busybox, mawk, gawk), run
# with LC_ALL=C. From the environment: PIPEGEN_ARGS (the build's argument names, one a line)
# with PIPEGEN_ARG_<NAME> each, PIPEGEN_PARENTS (`<ARG>=<image>=<KEY>` lines) and
# PIPEGEN_PARENT_ARGS (names): an image that mentions a parent's argument is skipped.
BEGIN {
  n = split(ENVIRON["PIPEGEN_ARGS"], names, "\n")
  for (i = 1; i <= n; i++) if (names[i] != "") passed[names[i]] = ENVIRON["PIPEGEN_ARG_" names[i]]
  n = split(ENVIRON["PIPEGEN_PARENTS"], names, "\n")
  for (i = 1; i <= n; i++) if (names[i] != "") { p = names[i]; sub(/=.*/, "", p); parents[p] = 1 }
  n = split(ENVIRON["PIPEGEN_PARENT_ARGS"], names, "\n")
  for (i = 1; i <= n; i++) if (names[i] != "") parents[names[i]] = 1
  continuing = 0
  seen_from = 0
  ESC = "\\"
  directives = 1
}
# One line of the parser directives at the top (src/directives.rs): sets ESC from `# escape=`;
# the first other line ends them (directives = 0), and a refused one leaves ESC a backslash.
# A directive is known by its key's first letter: e(scape), s(yntax) or c(heck).
function directive(s,    t, v) {
  sub(/^[ \t]*/, "", s)
  if (NR == 1 && s ~ /^#!/) return
  t = tolower(s)
  if (!match(t, /^#[ \t]*(escape|syntax|check)[ \t]*=[ \t]*[^ \t]/)) { directives = 0; return }
  v = substr(s, RLENGTH)
  sub(/[ \t]*$/, "", v)
  sub(/^#[ \t]*/, "", t)
  t = substr(t, 1, 1)
  if ((t in said) || (t == "e" && v != "`" && v != "\\")) { ESC = "\\"; directives = 0; return }
  said[t] = 1
  if (t == "e") ESC = v
}
# The word of LX from position LP up to the character stop (consumed; "": the end), read as
# BuildKit's shell lexer reads it (from.rs: quotes, escapes, references nested to any depth).
# A word it refuses, or one pipegen does not follow, sets LERR and LP past the end.
function lex_word(stop,    out, c, n) {
  out = ""
  while (LP <= length(LX)) {
    c = substr(LX, LP, 1)
    if (c == stop) { LP++; return out }
    if (c == "$") out = out lex_dollar()
    else if (c == "'") {
      n = index(substr(LX, LP + 1), "'")
      if (!n) return lex_fail()
      out = out substr(LX, LP + 1, n - 1)
      LP += n + 1
    } else if (c == "\"") {
      LP++
      for (;;) {
        if (LP > length(LX)) return lex_fail()
        c = substr(LX, LP, 1)
        if (c == "\"") { LP++; break }
        if (c == "$") { out = out lex_dollar(); continue }
        n = substr(LX, ++LP, 1)
        if (c == ESC && (n == "\"" || n == "$" || n == ESC)) { c = n; LP++ }
        else if (c == ESC && n == "") continue
        out = out c
      }
    } else {
      if (c == ESC && ++LP > length(LX)) break
      out = out substr(LX, LP++, 1)
    }
  }
  if (stop != "") return lex_fail()
  return out
}
function lex_fail() {
  LERR = 1
  LP = length(LX) + 1
  return ""
}
# A name after `$`: digits, one special parameter, or letters, digits and `_`.
function lex_name(    rest) {
  rest = substr(LX, LP)
  if (!match(rest, /^[0-9]+/) && !match(rest, /^[@*#?!$-]/)) match(rest, /^[A-Za-z0-9_]*/)
  LP += RLENGTH
  return substr(rest, 1, RLENGTH)
}
# An argument's value ("" when unset); PARENT becomes 1 when it is a parent's.
function lex_value(name) {
  if (name in parents) PARENT = 1
  return (name in globals) ? globals[name] : ""
}
# The reference at LP (a `$`), replaced.
function lex_dollar(    name, c, op, word, v, unset) {
  LP++
  if (substr(LX, LP, 1) != "{") {
    name = lex_name()
    return (name == "") ? "$" : lex_value(name)
  }
  c = substr(LX, ++LP, 1)
  if (c == "" || c == "{" || c == "}" || c == ":") return lex_fail()
  name = lex_name()
  c = substr(LX, LP++, 1)
  if (c == "}") return lex_value(name)
  op = (c == ":") ? substr(LX, LP++, 1) : c
  if (c != ":" && (op == "" || !index("-+?#%", op))) return lex_fail()
  word = lex_word("}")
  if (LERR) return ""
  v = lex_value(name)
  unset = !(name in globals) || (c == ":" && v == "")
  if (op == "-") return unset ? word : v
  if (op == "+") return unset ? "" : word
  if (op == "?" && !unset) return v
  return lex_fail()
}
# s read by the lexer (s itself when refused); PARENT is 1 when it refers to a parent's argument.
function expand(s,    out) {
  LX = s
  LP = 1
  LERR = 0
  PARENT = 0
  out = lex_word("")
  return LERR ? s : out
}
# The words of an ARG's arguments s, in AW (their number returned), as BuildKit's parser splits
# them: at blanks outside quotes; quotes kept, an escaped character kept with its escape.
function arg_words(s,    i, c, q, w, n, quoted) {
  n = 0
  w = q = ""
  quoted = 0
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (q == "" && c ~ /[ \t\f\v\r]/) {
      if (quoted || w != "") AW[++n] = w
      w = ""
      quoted = 0
      continue
    }
    if (q == "" && (c == "'" || c == "\"")) { q = c; quoted = 1 }
    else if (q != "" && c == q) q = ""
    else if (q != "'" && c == ESC) {
      if (i == length(s)) { q = ""; continue }
      w = w c
      c = substr(s, ++i, 1)
    }
    w = w c
  }
  if (quoted || w != "") AW[++n] = w
  return n
}
function instruction(s,    ws, m, j, kw, word, eq, name, def, image, stage, lower) {
  # Split at runs of blanks (BuildKit's [\t\v\f\r ]+), none at either end.
  sub(/^[ \t\f\v\r]+/, "", s)
  sub(/[ \t\f\v\r]+$/, "", s)
  if (s == "") return
  m = split(s, ws, /[ \t\f\v\r]+/)
  kw = toupper(ws[1])
  if (kw == "ARG" && !seen_from) {
    m = arg_words(substr(s, length(ws[1]) + 1))
    for (j = 1; j <= m; j++) {
      word = AW[j]
      eq = index(word, "=")
      if (eq) { name = substr(word, 1, eq - 1); def = substr(word, eq + 1) } else name = word
      if (name in passed) globals[name] = passed[name]
      else if (eq) globals[name] = expand(def)
      else delete globals[name]
    }
  } else if (kw == "FROM") {
    seen_from = 1
    j = 2
    while (j <= m && substr(ws[j], 1, 2) == "--") j++
    if (j > m) return
    image = ws[j]
    stage = ""
    if (j + 2 <= m && tolower(ws[j + 1]) == "as") stage = tolower(ws[j + 2])
    image = expand(image)
    if (!PARENT) {
      lower = tolower(image)
      if (image != "" && lower != "scratch" && !(lower in stages) && !(image in printed)) {
        printed[image] = 1
        print image
      }
    }
    if (stage != "") stages[stage] = 1
  }
}
# The here-documents instruction s opens (src/heredoc.rs, rule for rule): each appended to
# HD_NAME (its terminator) and HD_CHOMP (1 for `<<-`: leading tabs go before the comparison).
# Words are split as there, each kept as written (raw) and without quotes and escaping
# backslashes (plain).
function open_heredocs(s,    i, c, q, w, u, nw, raw, plain, f, k, n) {
  nw = 0
  q = ""
  for (i = 1; i <= length(s); i++) {
    c = substr(s, i, 1)
    if (q == "" && (c == " " || c == "\t")) {
      if (w != "") { raw[++nw] = w; plain[nw] = u }
      w = u = ""
      continue
    }
    if (q == "" && c == "<" && substr(s, i + 1, 1) == "<") {
      c = "<<"
      i++
      while (substr(s, i + 1, 1) == " " || substr(s, i + 1, 1) == "\t") c = c substr(s, ++i, 1)
      w = w c
      u = u c
      continue
    }
    if (q != "" && c == q) q = ""
    else if (q == "" && (c == "'" || c == "\"")) q = c
    else if (q != "'" && c == "\\") { w = w c; c = substr(s, ++i, 1); u = u c }
    else u = u c
    w = w c
  }
  if (w != "") { raw[++nw] = w; plain[nw] = u }
  f = toupper(raw[1]) == "ONBUILD" ? 2 : 1
  k = toupper(raw[f])
  if (k != "RUN" && k != "COPY" && k != "ADD") return
  for (i = f + 1; i <= nw; i++) {
    if (!match(raw[i], /^[0-9]*<<-?[ \t]*/)) continue
    n = RLENGTH
    if (index(substr(raw[i], n + 1), "<") || substr(plain[i], n + 1) == "") continue
    HD_NAME[++HD_N] = substr(plain[i], n + 1)
    match(raw[i], /^[0-9]*<</)
    HD_CHOMP[HD_N] = substr(raw[i], RLENGTH + 1, 1) == "-"
  }
}
{
  line = $0
  sub(/\r+$/, "", line)
  if (NR == 1 && substr(line, 1, 3) == "\357\273\277") line = substr(line, 4)
  if (directives) directive(line)
  # A here-document's body: skipped up to its terminator.
  if (HD_I < HD_N) {
    last = line
    if (HD_CHOMP[HD_I + 1]) sub(/^\t*/, "", last)
    if (last == HD_NAME[HD_I + 1]) HD_I++
    next
  }
  lead = line
  sub(/^[ \t\f\v\r]*/, "", lead)
  if (lead == "" || substr(lead, 1, 1) == "#") next
  end = line
  sub(/[ \t]*$/, "", end)
  # The escape character continues the line unless escaped itself; nothing takes its place.
  body = substr(end, 1, length(end) - 1)
  more = (substr(end, length(end), 1) == ESC && substr(body, length(body), 1) != ESC)
  if (!more) body = line
  joined = continuing ? (current body) : body
  if (more) { current = joined; continuing = 1 }
  else { continuing = 0; instruction(joined); if (index(joined, "<<")) open_heredocs(joined) }
}
END {
  if (continuing) instruction(current)
}
