# summary.sh - sourced by the shell drivers (run, sanitized, cross).
#
# read_summary LOG: p and f from the log's last line "N passed, M failed".
# A suite that never printed that line counts as one failure (status 1).
read_summary() {
	line=$(tail -n 1 "$1")
	p=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
	f=$(echo "$line" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
	if [ -z "$p" ]; then
		p=0
		f=1
		return 1
	fi
	return 0
}
