# summary.sh - sourced by the shell drivers (run, sanitized, cross).
#
# read_summary LOG: p, f and s from the log's last line, "N passed,
# M failed" or "N passed, M failed, K skipped" (s is 0 in the first form).
# A suite that never printed that line counts as one failure (status 1).
read_summary() {
	line=$(tail -n 1 "$1")
	form='^\([0-9]*\) passed, \([0-9]*\) failed\(, \([0-9]*\) skipped\)\{0,1\}$'
	p=$(echo "$line" | sed -n "s/$form/\\1/p")
	f=$(echo "$line" | sed -n "s/$form/\\2/p")
	s=$(echo "$line" | sed -n "s/$form/\\4/p")
	s=${s:-0}
	if [ -z "$p" ]; then
		p=0
		f=1
		s=0
		return 1
	fi
	return 0
}
