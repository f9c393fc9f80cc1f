# Completes command lines in a real interactive zsh and prints each line as completion left it.
#
#   zsh -f zsh_complete.zsh FPATH_DIR LINE...
#
# A zsh on a pseudo-terminal (zpty) runs compinit with FPATH_DIR first in $fpath. Each LINE is
# typed, then Tab, then ^X, bound to a widget that prints the edit buffer between <<< and >>>
# (spelled with escapes, so that the echo of its own definition does not match) and clears it.
zmodload zsh/zpty || exit 1
fpath_dir=$1
shift

zpty shell zsh -f -i
zpty -w shell "fpath=(${(q)fpath_dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w shell "show-buffer() { print -r -- \$'\\x3c\\x3c\\x3c'\"\$BUFFER\"\$'\\x3e\\x3e\\x3e'; BUFFER=; }"
zpty -w shell 'zle -N show-buffer; bindkey "^X" show-buffer'

for line in "$@"; do
    zpty -w -n shell "$line"$'\t\x18'
    zpty -r shell output '*<<<*>>>*' || exit 1
    output=${output##*<<<}
    print -r -- "${output%%>>>*}"
done
zpty -d shell
