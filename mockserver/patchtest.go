package mockserver

// Kubernetes-style guarded patches (Options.PatchTestsVersion): in
// VersionField mode a JSON Patch may go without a version, its "test"
// operations guarding it as the API server lets them, so that a patch that
// tests a stale version fails its test and is answered 422, not 409.

// checkWriteVersionLocked checks a write's version in VersionField mode,
// but lets a JSON Patch that names no version through when
// PatchTestsVersion is on: applyPatch then runs its tests. h.mu must be
// held.
func (h *Handler) checkWriteVersionLocked(wr *writeRequest, cur *document) *response {
	if h.opts.PatchTestsVersion && wr.patch != nil && !wr.hasVersion {
		return nil
	}
	return h.checkVersionLocked(wr.version, wr.hasVersion, cur, wr.path)
}
