package webex_test

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"

	"github.com/cutover-dev/cutover/simulator/webexapi"
	"github.com/cutover-dev/cutover/webex"
)

// A client against the in-process emulator; against Webex the base URL is
// https://webexapis.com/v1 and the token comes from --token, a refresh token
// or a Service App.
func ExampleNew() {
	emu := webexapi.New()
	srv := httptest.NewServer(emu)
	defer srv.Close()

	c, err := webex.New(srv.URL+"/v1", webex.StaticToken(emu.AdminToken()))
	if err != nil {
		fmt.Println(err)
		return
	}
	people, err := c.FindPeopleByEmail(context.Background(), "ada.lovelace@acme.example")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(people[0].DisplayName, people[0].Extension)
	// Output: Ada Lovelace 1001
}

// Errors are typed: branch with errors.Is, stop the batch when IsFatal.
func ExampleClient_CreateDevice() {
	emu := webexapi.New()
	srv := httptest.NewServer(emu)
	defer srv.Close()
	ctx := context.Background()
	c, _ := webex.New(srv.URL+"/v1", webex.StaticToken(emu.AdminToken()))
	people, _ := c.FindPeopleByEmail(ctx, "ada.lovelace@acme.example")

	req := webex.CreateDeviceRequest{MAC: "00:04:f2:a1:b2:c3", Model: "Yealink T57W Partner Managed", PersonID: people[0].ID, Password: "Xy7!kLm9#qRt"}
	dev, err := c.CreateDevice(ctx, req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("created", dev.MAC, dev.Product)

	_, err = c.CreateDevice(ctx, req)
	err = fmt.Errorf("creating device %s: %w", req.MAC, err)
	fmt.Println(errors.Is(err, webex.ErrMACInUse), webex.IsFatal(err))
	// Output:
	// created 0004F2A1B2C3 Yealink T57W Partner Managed
	// true false
}
