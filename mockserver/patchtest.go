package mockserver

// Kubernetes-style guarded patches (Options.PatchTestsVersion): in
// VersionField mode a JSON Patch may go without a version, its "test"
// operations guarding it as the API server lets them, so that a patch that
// tests a stale version fails its test and is answered 422, not 409.

// checkWriteVersion checks a write's version in VersionField mode, but
// lets a JSON Patch that names no version through when PatchTestsVersion
// is on: applyPatch then runs its tests. The document's lock must be held.
func (h *Handler) checkWriteVersion(wr *writeRequest, cur *document) *response {
	if h.opts.PatchTestsVersion && wr.patch != nil && !wr.hasVersion {
		return nil
	}
	return h.checkVersion(wr.version, wr.hasVersion, cur, wr.path)
}
