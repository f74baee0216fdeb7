// Package grant: department review grants, the time-boxed, revocable access of a department's
// reviewers to a case.
//
// A grant is opened when a case is routed to a department (casework decides when; this package
// decides the terms: the department's period, view-only and masked). While it is live (not
// expired by the one clock, not revoked) the department's reviewers see the case, the inspection
// records that are its sources and their evidence; the street's team leader (or an
// administrator) extends it, revokes it, or changes its terms (download allowed, party data in
// full on a recorded legal basis). What the reviewers then say of the evidence is package
// review. Standard library only.
package grant
