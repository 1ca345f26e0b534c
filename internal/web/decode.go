package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/classemobile/classemobile/internal/store"
)

// maxBodyBytes bounds every JSON request body.
const maxBodyBytes = 1 << 20

// bodyOption adjusts decodeJSON.
type bodyOption int

const (
	// bodyOptional accepts an empty body (or only whitespace), leaving v
	// as it is: actions whose fields are all optional may be posted empty.
	bodyOptional bodyOption = iota + 1
	// bodyNULPerField leaves escaped NULs (\u0000) in strings to the
	// per-field checks, which name the field (raw NUL bytes are refused
	// all the same).
	bodyNULPerField
)

// jsonSpace is the whitespace JSON allows between tokens (RFC 8259 §2).
const jsonSpace = " \t\r\n"

// decodeJSON reads the JSON body of every API request into v: at most
// maxBodyBytes (413 beyond), valid UTF-8 without NUL bytes (422: databases
// would reject or mangle them), one JSON value with no unknown field and
// nothing but whitespace after it (400 otherwise).
func decodeJSON(w http.ResponseWriter, r *http.Request, v any, opts ...bodyOption) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return Errorf(http.StatusRequestEntityTooLarge, "body_too_large", "Le corps de la requête dépasse %d Kio.", maxBodyBytes>>10)
		}
		return Errorf(http.StatusBadRequest, "malformed_body", "Lecture du corps de la requête impossible.")
	}
	if slices.Contains(opts, bodyOptional) && len(bytes.Trim(body, jsonSpace)) == 0 {
		return nil
	}
	if !utf8.Valid(body) {
		return Errorf(http.StatusUnprocessableEntity, store.InvalidCode, "Le corps de la requête n'est pas de l'UTF-8 valide.")
	}
	if bytes.IndexByte(body, 0) >= 0 || !slices.Contains(opts, bodyNULPerField) && bytes.Contains(body, []byte(`\u0000`)) {
		return Errorf(http.StatusUnprocessableEntity, store.InvalidCode, "Le texte ne doit pas contenir de caractère nul (U+0000).")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if rest := bytes.Trim(body[dec.InputOffset():], jsonSpace); len(rest) > 0 {
		return Errorf(http.StatusBadRequest, "malformed_json", "Le corps de la requête doit contenir un seul objet JSON, sans rien après (octet %d).", dec.InputOffset())
	}
	return nil
}

func jsonError(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return Errorf(http.StatusBadRequest, "malformed_json", "Le corps de la requête est vide : un objet JSON est attendu.")
	case errors.As(err, &syn):
		return Errorf(http.StatusBadRequest, "malformed_json", "JSON mal formé à l'octet %d.", syn.Offset)
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(racine)"
		}
		e := Errorf(http.StatusUnprocessableEntity, "validation_failed", "Type incorrect pour le champ %s : %s attendu.", field, typeName(typ.Type.Kind().String()))
		e.Fields = map[string]string{field: fmt.Sprintf("type incorrect : %s attendu", typeName(typ.Type.Kind().String()))}
		return e
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		e := Errorf(http.StatusBadRequest, "unknown_field", "Champ inconnu : %s.", name)
		e.Fields = map[string]string{name: "champ inconnu"}
		return e
	default:
		return Errorf(http.StatusBadRequest, "malformed_json", "JSON mal formé : %v.", err)
	}
}

func typeName(kind string) string {
	switch kind {
	case "string":
		return "texte"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "nombre"
	case "bool":
		return "booléen"
	case "slice":
		return "liste"
	case "struct", "map":
		return "objet"
	default:
		return kind
	}
}

// pathID parses the {name} path value as a positive integer; a malformed
// id is a 404 (there is no such resource), not a 400.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// queryInt parses an optional integer query parameter.
func queryInt(r *http.Request, name string) (int64, bool, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return 0, false, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		e := Errorf(http.StatusBadRequest, "invalid_query", "Paramètre %s invalide : un nombre entier est attendu.", name)
		e.Fields = map[string]string{name: "nombre entier attendu"}
		return 0, false, e
	}
	return n, true, nil
}

func itoa(i int) string { return strconv.Itoa(i) }

// schoolYearParam returns the school year of a query: school_year, or
// year, its older name, still accepted.
func schoolYearParam(q url.Values) string {
	if y := q.Get("school_year"); y != "" {
		return y
	}
	return q.Get("year")
}
