// Package sync is the offline-sync protocol of Whistle: devices push the acts
// they recorded offline and pull what changed in their scopes, exactly once,
// in any order, after any crash (issue "Offline sync"). Nothing of it is
// built yet; the package exists so that the layout of the repository is the
// one the product owner fixed.
package sync
