// Package archive: closing a concluded case's archive (案件归档): the completeness check, archive
// numbers, the read-only archive and its annexes, and the export bundle.
//
// The team leader closes a concluded (or withdrawn) case after a check of its file against what
// the law and the street require (Rules, data with their legal basis): every record present and
// approved, its evidence verified, the on-site record signed or the refusal witnessed, the
// decision served, seizures resolved, deadlines met or their delay explained. Mandatory rules
// block the closing, optional ones lower the score. A closed case gets an archive number, gapless
// per street and year (backend/numbering, series archive), and is read-only from then on: a later correction is an
// annex beside the archive, never a change of the case.
package archive
