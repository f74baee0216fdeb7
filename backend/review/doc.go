// Package review: a department reviewer's verdict on a case's evidence (accepted, or returned with
// a reason per item) and the officers' answer, online or offline. Who may review is a live grant
// of the reviewer's department on the case (package grant), applied by the case read this package
// asks for. Standard library only.
package review
