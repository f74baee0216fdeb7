// Package assess is the assessment (考核) of the district's departments per period: the figures
// counted from the recorded cases, work orders and their return calls, evidence reviews and
// whistles, the rates of the 12345 hotline (响应率, 解决率, 满意率) and their composite, and the
// street's 10-point service score of each department (DOMAIN.md section 7; issue 16).
//
// Everything that is a choice of the district is data (figures.json, replaced by
// WHISTLE_ASSESS_FILE): which figures exist, how each rate is formed, the composite's weights,
// the score's items and weights. The counting itself is the store's (one SQL selection per
// figure, backend/postgres/assess.go), always by what was recorded at the time (the department
// on the routing decision, the matter version on the case), never by today's organization, so a
// past period answers the same numbers for ever.
//
// The package also keeps seconded officers' performance records (实绩档案, performance.go): the
// positive and negative events the street derives from the same recorded facts or records by
// hand, their points and the yearly rating proposed to the home department.
package assess
