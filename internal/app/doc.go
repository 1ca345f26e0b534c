// Package app is classemobile's web application for people: server-rendered
// French pages over the same store methods as the JSON API (package web),
// signed in by a one-use link sent by e-mail and a session cookie.
//
// Templates and static files are embedded and parsed at start-up; every
// page has a typed data struct. Handlers return errors; one adapter
// (handle) renders them as French error pages (403, 404, 409 with the
// conflict explained, 500 with a reference that is logged) or re-renders a
// form with its field errors (422). Every action is a plain form POST
// answered by a 303 redirect with a one-shot flash message, so the pages
// work without JavaScript; cross-origin form posts are refused
// (net/http.CrossOriginProtection). No page loads anything from another
// site, so the Content-Security-Policy is strict.
//
// The printable loan pages (agreement, inventory sheet, printable/) are
// rendered here by LoanPrinter, for the pages and for the JSON API's
// Bearer routes. App also dispatches /api/, /ics/, /healthz and the
// Bearer printable routes to the handler it is given (the feeds in front
// of the JSON API), so serve has one handler on one listener.
package app
