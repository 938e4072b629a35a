package protocol

import "strconv"

// VersionDesc is Java's MQVersion.getVersionDesc: the name of a remoting version number as the
// Java broker and mqadmin print it. From V4_0_0_SNAPSHOT (212) on, the Java enum runs
// SNAPSHOT, release for every x.y.z with z and y in 0..9 (V4_9_8 = 409, V5_3_3 = 479); the
// irregular 3.x entries before it are rendered by ordinal.
func VersionDesc(v int32) string {
	base, major := int32(212), 4
	switch {
	case v >= 412:
		base, major = 412, 5
	case v < 212:
		return "V3_ORDINAL_" + strconv.Itoa(int(v))
	}
	idx := v - base
	n := idx / 2
	s := "V" + strconv.Itoa(major) + "_" + strconv.Itoa(int(n/10)) + "_" + strconv.Itoa(int(n%10))
	if idx%2 == 0 {
		s += "_SNAPSHOT"
	}
	return s
}
