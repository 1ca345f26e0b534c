// Package docs embeds the documents the service shows to people as they
// are written in this folder, so that a page and the repository never
// disagree.
package docs

import _ "embed"

// PersonalData is the « Données personnelles » page (French Markdown):
// what is stored, why, who sees it and how long it is kept.
//
//go:embed donnees-personnelles.md
var PersonalData string
