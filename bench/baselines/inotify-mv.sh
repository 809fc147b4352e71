#!/bin/bash
# The classic shell queue: inotifywait -m on new/, mv to cur/ to claim, run, mv to done/, one JSON line
# of events per job. MODE=claim stops after the claim (mv to cur/).
set -u
spool=$1
mode=${MODE:-full}
cd "$spool" || exit 1
inotifywait -m -q -e moved_to -e close_write --format '%f' new/ | while IFS= read -r f; do
  case "$f" in .*|*~) continue ;; esac
  mv "new/$f" "cur/$f" 2>/dev/null || continue
  [ "$mode" = claim ] && continue
  true
  mv "cur/$f" "done/$f"
  printf '{"job":"%s","status":"succeeded"}\n' "$f" >> "done/$f.events.jsonl"
done
