package store

import (
	"strconv"
	"strings"
)

// MaxPackItems is the most items a pack may hold.
const MaxPackItems = 200

// normalized returns p with the code and its items' labels and serial
// numbers trimmed, as CreatePack and UpdatePack store them.
func (p Pack) normalized() Pack {
	p.Code = strings.TrimSpace(p.Code)
	if p.Items != nil {
		items := make([]PackItem, len(p.Items))
		for i, it := range p.Items {
			it.Label, it.Serial = strings.TrimSpace(it.Label), strings.TrimSpace(it.Serial)
			items[i] = it
		}
		p.Items = items
	}
	return p
}

// Validate reports every problem of a pack to create or update, in French:
// the code is required, the status and item kinds are known ones, items
// have a label and distinct serial numbers, at most MaxPackItems of them.
func (p Pack) Validate() error {
	f := FieldErrors{}
	if strings.TrimSpace(p.Code) == "" {
		f.Add("code", "le code du pack est obligatoire")
	}
	CheckText(f, "code", p.Code, 40)
	CheckText(f, "label", p.Label, 200)
	CheckText(f, "notes", p.Notes, 2000)
	switch p.Status {
	case "", PackAvailable, PackMaintenance, PackRetired:
	default:
		f.Add("status", "statut attendu : available, maintenance ou retired")
	}
	if len(p.Items) > MaxPackItems {
		f.Add("items", "%d éléments au plus par pack", MaxPackItems)
	}
	serials := map[string]bool{}
	for i, it := range p.Items {
		field := "items[" + strconv.Itoa(i) + "]"
		switch it.Kind {
		case ItemTablet, ItemChargingCase, ItemAccessPoint, ItemAccessory:
		default:
			f.Add(field+".kind", "type attendu : tablet, charging_case, access_point ou accessory")
		}
		if strings.TrimSpace(it.Label) == "" {
			f.Add(field+".label", "le libellé est obligatoire")
		}
		CheckText(f, field+".label", it.Label, 200)
		CheckText(f, field+".serial", it.Serial, 100)
		if s := strings.TrimSpace(it.Serial); s != "" {
			if serials[s] {
				f.Add(field+".serial", "numéro de série en double dans le pack")
			}
			serials[s] = true
		}
	}
	return f.Err()
}
